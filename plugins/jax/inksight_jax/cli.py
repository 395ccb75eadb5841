"""``inksight train``: added to the ``inksight`` command line through the ``register_commands`` hook.

Nothing here imports jax until the command runs, so ``inksight --help`` stays light.
"""

from __future__ import annotations

import click

from .data import PHOTOS

FONT_PRESETS = {"latin": "latin fonts only", "default": "every Hershey family of the synthetic data"}


def _fonts(value: str) -> tuple[str, ...] | None:
    if value == "default":
        return None
    if value == "latin":
        from inksight_sdk.synth.hershey import LATIN_FONTS

        return tuple(LATIN_FONTS)
    return tuple(f.strip() for f in value.split(",") if f.strip())


def _config(value: str):  # type: ignore[no-untyped-def]
    """A configuration name, or a JSON file of ModelConfig fields (e.g. a checkpoint's ``config``)."""
    import json
    import os

    from .config import ModelConfig, get_config

    if value.endswith(".json") and os.path.isfile(value):
        with open(value) as f:
            data = json.load(f)
        return ModelConfig.from_dict(data.get("config", data))
    return get_config(value)


@click.command("train")
@click.option(
    "--config",
    "config_name",
    default="tiny",
    show_default=True,
    help="Model configuration: tiny, small-compact, small, or a JSON file of ModelConfig fields.",
)
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Run directory for checkpoints and the log."
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Training steps (the schedule's length).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Global batch (split over all JAX devices).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the initialization and of the synthetic data."
)
@click.option("--lr", "learning_rate", type=float, default=1e-3, show_default=True, help="Peak AdamW learning rate.")
@click.option(
    "--warmup",
    "warmup_steps",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Linear warmup steps, then cosine decay.",
)
@click.option("--weight-decay", type=float, default=0.01, show_default=True)
@click.option("--clip-norm", type=float, default=1.0, show_default=True, help="Gradient clipping (global norm).")
@click.option(
    "--mixture",
    default=None,
    help="Task weights, e.g. derender=0.7,derender_text=0.1,recognize=0.1,recognize_derender=0.1 "
    "(default 0.55/0.15/0.15/0.15).",
)
@click.option(
    "--fonts", default="default", show_default=True, help="Hershey fonts: 'default', 'latin' or a comma list."
)
@click.option(
    "--hanzi-dir",
    type=click.Path(exists=True),
    default=None,
    help="hanzi-writer-data directory, or a glyph pack (.npz) (adds Chinese).",
)
@click.option(
    "--max-target-len",
    type=click.IntRange(min=8),
    default=256,
    show_default=True,
    help="Target tokens per example (longer ones are cut).",
)
@click.option("--resume", is_flag=True, help="Continue the checkpoint in --out exactly where it stopped.")
@click.option(
    "--max-minutes", type=float, default=None, help="Stop (with a checkpoint) after this much wall-clock time."
)
@click.option(
    "--stop-after",
    type=click.IntRange(min=1),
    default=None,
    help="Stop (with a checkpoint) at this step; --resume continues the same schedule.",
)
@click.option(
    "--checkpoint-every", type=click.IntRange(min=1), default=500, show_default=True, help="Steps between checkpoints."
)
@click.option(
    "--checkpoint-minutes", type=float, default=5.0, show_default=True, help="Also checkpoint this often (minutes)."
)
@click.option("--log-every", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--budget-minutes",
    type=float,
    default=None,
    help="Choose --steps so the schedule ends when this budget does (after timing the first steps).",
)
@click.option(
    "--echo",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Data echoing: each synthetic word is used in this many consecutive steps (must divide --batch-size).",
)
@click.option(
    "--photos",
    type=click.Choice(PHOTOS),
    default="host",
    show_default=True,
    help="Paint the crops' photos in the data workers (host) or in the training step on the accelerator (device).",
)
@click.option(
    "--workers", type=click.IntRange(min=0), default=1, show_default=True, help="Data worker processes (0: a thread)."
)
def train_command(config_name: str, out: str, fonts: str, **kwargs: object) -> None:
    """Train the learned derenderer on synthetic ink (progress on stderr)."""
    from inksight_sdk.errors import BadArgumentsError

    try:
        from .training import TrainOptions, train
    except ImportError as exc:  # pragma: no cover - jax missing
        raise click.ClickException(f"training needs jax, flax and optax ({exc}); pip install inksight-jax") from exc
    try:
        config = _config(config_name)
        options = TrainOptions(config=config, out=out, fonts=_fonts(fonts), **kwargs)  # type: ignore[arg-type]
        options.data_spec(config)  # validates the mixture
    except ValueError as exc:
        raise BadArgumentsError(str(exc)) from exc
    result = train(options, progress=lambda msg: click.echo(msg, err=True))
    click.echo(str(result.checkpoint))
