"""``lqrppg import-model``: the LQ-rPPG authors' released checkpoints into one lqrppg model file.

The user obtains the authors' repository (its ``configs/`` and ``PreTrainedModels/``); this
command loads one protocol with :func:`lqrppg.models.load_authors_checkpoint`, saves it in
lqrppg's format (``LQRPPGRegressor.save``: weights only, with its metadata) and writes a model
card beside it (``OUT`` with the suffix ``.md``): the source repository and commit, the SHA-256
of every source file, the training data and the terms. ``lqrppg predict --model OUT`` and
``lqrppg evaluate --model OUT`` then use it, with the authors' preprocessing.

Exit codes: 0 success; 2 bad input (missing folder, protocol or file, a checkpoint that is
not the authors' LQ-rPPG model, an unusable output path).
"""

from __future__ import annotations

import warnings

from ._common import InputError, check_output, print_error, print_warning

__all__ = ["run_import_model"]


def run_import_model(directory, protocol: str, out, *, overwrite: bool = False) -> int:
    """Import ``protocol`` from ``directory``, write ``out`` and its card; the exit code."""
    try:
        return _run(directory, protocol, out, overwrite)
    except InputError as exc:
        print_error("import-model", str(exc))
        return 2


def _run(directory, protocol, out, overwrite) -> int:
    from ..exceptions import ModelFileError
    from ..models import authors_model_card, load_authors_checkpoint

    out_path = check_output(out, "--out", overwrite=overwrite)
    card_path = out_path.with_suffix(".md")
    if card_path == out_path:
        raise InputError(f"--out {str(out_path)!r} ends in .md, the name of its model card")
    check_output(card_path, "model card", overwrite=overwrite)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            model = load_authors_checkpoint(directory, protocol)
        except (ModelFileError, ValueError) as exc:
            raise InputError(str(exc)) from None
    for w in caught:
        print_warning("import-model", str(w.message))
    meta = model.metadata_
    model.save(out_path)
    card_path.write_text(authors_model_card(model))
    src = meta["source"]
    origin = (
        f"every file matches the release at commit {src['release_commit'][:7]}"
        if src["matches_release"]
        else "NOT every file matches the known release (see the card)"
    )
    print(
        f"imported {protocol}: trained on {meta.get('train_dataset', 'unknown data')}, "
        f"clips of {model.n_frames_} frames at {model.fs:g} fps, "
        f"{model.frame_shape_[0]}x{model.frame_shape_[1]} face crops; {origin}"
    )
    print(f"model: {out_path.resolve()}")
    print(f"model card: {card_path.resolve()}")
    return 0
