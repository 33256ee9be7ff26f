"""Figures for pulse waveforms, spectra and HR agreement. Imports matplotlib on first use."""

from ._figures import plot_bland_altman, plot_spectrum, plot_waveforms

__all__ = ["plot_bland_altman", "plot_spectrum", "plot_waveforms"]
