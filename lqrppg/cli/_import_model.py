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

import argparse
import warnings

from ._common import (
    InputError,
    add_command,
    add_model_out,
    check_output,
    command,
    print_warning,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``import-model`` command's parser, run by :func:`run`."""
    imp = add_command(
        subparsers,
        "import-model",
        run,
        help="convert the LQ-rPPG authors' released checkpoints into an lqrppg model file",
        description=(
            "Load one protocol of the LQ-rPPG authors' released models (obtain their "
            "repository yourself: its configs/ and PreTrainedModels/ folders), check every "
            "tensor into lqrppg's port of their network, and save it for 'lqrppg predict "
            "--model' and 'lqrppg evaluate --model', with a model card (OUT with suffix "
            ".md: source, SHA-256 of each file, training data, terms)."
        ),
    )
    imp.add_argument("directory", help="the authors' repository folder")
    imp.add_argument(
        "--protocol",
        required=True,
        metavar="TRAIN_TEST",
        help="which model, e.g. UBFC_UBFC, PURE_PURE, PURE_UBFC (see the folder's configs/)",
    )
    add_model_out(imp, "file to write (e.g. ubfc.pt)")
    return imp


def _run(args: argparse.Namespace) -> int:
    """Import ``--protocol`` from the folder, write ``--out`` and its card; the exit code."""
    directory, protocol, out, overwrite = args.directory, args.protocol, args.out, args.overwrite
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


run = command("import-model", _run)
