"""The chapter as guided lessons: which runs each step shows, the book's figures beside them, and warming.

Plain data and functions (no Streamlit): the Lessons page draws them, ``python -m rnnlab warm`` trains every
lesson run into the store so a classroom never waits. ``RNNLAB_LESSON_SCALE=small`` shrinks every lesson run
(fewer series, fewer epochs) for tests and quick demos; ``full`` (the default) is the book's size. Lesson runs
are the book's experiments whatever the operator's limits are: they are trained once by the operator
(``warm``), not asked for by the class.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from rnnlab.config import FIELDS, Experiment, Limits, using_limits
from rnnlab.config.sections import NETWORK_SIDE
from rnnlab.errors import SettingError

#: ``small``: 320 series split into 224 / 64 / 32 windows, whole batches of the book's 32 (on JAX a partial last
#: batch is a second compilation, most of a small training's time).
SCALES = {
    "full": {},
    "small": {"n_series": 320, "epochs": 2},
}


@dataclass(frozen=True)
class LessonRun:
    """One run a lesson shows: the book's experiment for ``model`` in ``mode`` (on a bundled real series ``data``,
    with that series' defaults and ``settings``), and the book's figure."""

    model: str
    mode: str
    label: str
    book_mse: float | None = None
    data: str | None = None
    settings: tuple[tuple[str, str], ...] = ()

    def experiment(self, scale: str | None = None) -> Experiment:
        """The run's experiment at ``scale`` (default: :func:`lesson_scale`)."""
        with using_limits(Limits.unbounded()):
            changes = SCALES[scale or lesson_scale()]
            if self.data is not None:  # the scale's generator settings mean nothing on a real series
                flat = {"model": self.model, "mode": self.mode, "data": self.data, **dict(self.settings)}
                exp = Experiment.from_flat(flat)
                changes = {k: v for k, v in changes.items() if FIELDS[k].applies_to(self.data)}
            else:
                exp = Experiment.book(self.model, self.mode)
            return exp.replace(**changes) if changes else exp


@dataclass(frozen=True)
class Lesson:
    """One step of the chapter's path."""

    id: str
    title: str
    text: str
    runs: tuple[LessonRun, ...] = ()
    concepts: tuple[str, ...] = field(default_factory=tuple)
    takeaway: str = ""


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "data", "The data: two sine waves plus noise",
        "Every series is the sum of a slow and a fast sine wave, each with a random frequency and phase, plus a "
        "little uniform noise. We generate 10,000 of them, 50 steps each, and ask for the value that comes next. "
        "7,000 series train the models, 2,000 choose between them (validation), 1,000 are kept for a final test.",
        concepts=("data",),
        takeaway="Simple to generate, not trivial to forecast: the phase and both frequencies change from one "
                 "series to the next.",
    ),
    Lesson(
        "naive", "The baseline: tomorrow looks like today",
        "Before training anything, measure the simplest forecast: repeat the last value. It costs nothing and "
        "already gets within about 0.14 of the next value on average. Every model that follows must beat this.",
        runs=(LessonRun("naive", "one_step", "Naive forecast", 0.020211367),),
        takeaway="A model that cannot beat the naive forecast has learned nothing useful.",
    ),
    Lesson(
        "linear", "A linear model: 51 parameters",
        "Flatten the 50 inputs and feed them to a single Dense neuron: one weight per time step plus a bias, 51 "
        "parameters. It learns which past values matter and by how much, and it is hard to beat.",
        runs=(LessonRun("linear", "one_step", "Linear (Flatten -> Dense)", 0.004168),),
        concepts=("params",),
        takeaway="Five times better than naive, with 51 numbers.",
    ),
    Lesson(
        "simple_rnn", "A single recurrent neuron: 3 parameters",
        "A SimpleRNN with one neuron reads the series one step at a time and feeds its own output back in. It has "
        "exactly three parameters: a weight for the input, one for its previous output, and a bias, whatever the "
        "length of the series. Its only memory is one number squashed by tanh, so it loses to the linear model.",
        runs=(LessonRun("simple_rnn", "one_step", "SimpleRNN(1)", 0.010882),),
        concepts=("unrolled", "bptt"),
        takeaway="Recurrence shares weights across time; one unit is simply too little memory.",
    ),
    Lesson(
        "deep_rnn", "Deep RNNs, and why the output should be Dense",
        "Stack recurrent layers of 20 units and the RNN finally beats the linear model. The book's first deep RNN "
        "ends with a SimpleRNN(1) whose single hidden state is also the output; replacing it with a Dense layer "
        "frees the last recurrent layer to keep 20 numbers of state, converges faster and is as accurate.",
        runs=(LessonRun("deep_rnn", "one_step", "SimpleRNN(20) x2 -> SimpleRNN(1)", 0.002911),
              LessonRun("deep_rnn_dense", "one_step", "SimpleRNN(20) x2 -> Dense(1)", 0.002624)),
        concepts=("params",),
        takeaway="Depth and width give the network enough memory; the Dense head is the better output.",
    ),
    Lesson(
        "ten_steps", "Ten steps ahead: iterative, all at once, or at every step",
        "Three ways to forecast ten values. Iterative: forecast one step, append it to the input, repeat; errors "
        "pile up. Sequence-to-vector: one model emits all ten values at once from the last time step. "
        "Sequence-to-sequence: the model forecasts the next ten values at every time step, so the loss has "
        "fifty times more signal and the gradients flow through every output.",
        runs=(LessonRun("naive", "seq2vec", "Naive (last value x10)", 0.25697407),
              LessonRun("deep_rnn_dense", "iterative", "Iterative", 0.027511),
              LessonRun("linear", "seq2vec", "Linear, ten at once", 0.0187),
              LessonRun("deep_rnn_dense", "seq2vec", "RNN, sequence-to-vector", 0.0085),
              LessonRun("deep_rnn_dense", "seq2seq", "RNN, sequence-to-sequence", 0.0096)),
        concepts=("bptt",),
        takeaway="Ask for all ten values, and train on every time step.",
    ),
    Lesson(
        "lstm_gru", "LSTM and GRU: memory with gates",
        "Plain RNN cells forget fast. LSTM cells keep a separate long-term state and learn, with gates, what to "
        "store, forget and read; GRU cells do the same with fewer weights. Layer normalisation inside a simple "
        "cell is another way to keep training stable.",
        runs=(LessonRun("lstm", "seq2seq", "LSTM", 0.00856),
              LessonRun("gru", "seq2seq", "GRU", 0.0103),
              LessonRun("layernorm_rnn", "seq2seq", "LayerNorm RNN cell", 0.0121)),
        concepts=("params",),
        takeaway="Gates cost parameters (4x and 3x a simple cell) and buy memory.",
    ),
    Lesson(
        "convolutions", "Conv1D + GRU and WaveNet",
        "A 1-D convolution with stride 2 halves the sequence before the GRU layers, so they see longer patterns for "
        "less work. WaveNet drops recurrence altogether: causal convolutions whose dilation doubles at each "
        "layer reach 16 steps back after four layers, 31 after eight, with few parameters.",
        runs=(LessonRun("conv_gru", "seq2seq", "Conv1D + GRU", 0.0080),
              LessonRun("wavenet", "seq2seq", "WaveNet", 0.0072)),
        concepts=("wavenet",),
        takeaway="Convolutions see far cheaply; the best ten-step forecasts of the chapter.",
    ),
    Lesson(
        "beat_the_book", "Beating the book, honestly",
        "Can we do 20% better than the book's best figures on the book's own data? Sweeps over units, learning "
        "rates and models searched for it, and each winner was then trained with five seeds: a single lucky run "
        "proves nothing, so a configuration counts only when its mean over the five seeds beats the target on the "
        "validation set and on the test set. The noise in the series sets a floor no model can pass.",
        concepts=("beat",),
        takeaway="Wider layers and more epochs beat the book, but only the mean over seeds says by how much.",
    ),
    Lesson(
        "real_data", "A real series: CO₂ at Mauna Loa",
        "Weekly CO₂ keeps rising, so the test period's values lie above everything the training period held. Scaled "
        "the book's way (by the training period's mean and spread), a network meets values it has never seen and "
        "forecasts worse than repeating the last value. Fed the week-to-week changes instead (first differences, a "
        "real series' default here), the same models learn the changes, which the trend leaves alike, and beat it. "
        "Below: the best on validation with its 80% and 95% prediction intervals and what is left in its errors.",
        runs=(LessonRun("naive", "one_step", "Naive forecast", data="co2_mauna_loa"),
              LessonRun("linear", "one_step", "Linear, global scaling", data="co2_mauna_loa",
                        settings=(("scaling", "global"),)),
              LessonRun("gru", "one_step", "GRU, global scaling", data="co2_mauna_loa",
                        settings=(("scaling", "global"), ("units", "20"))),
              LessonRun("linear", "one_step", "Linear, first differences", data="co2_mauna_loa",
                        settings=(("scaling", "difference"),)),
              LessonRun("gru", "one_step", "GRU, first differences", data="co2_mauna_loa",
                        settings=(("scaling", "difference"), ("units", "20")))),
        concepts=("real",),
        takeaway="On a series with a trend, how the network sees the data decides more than its architecture.",
    ),
)


def lesson_scale() -> str:
    """``RNNLAB_LESSON_SCALE`` (``full`` or ``small``); a bad value raises SettingError saying what is allowed."""
    scale = (os.environ.get("RNNLAB_LESSON_SCALE") or "full").strip()
    if scale not in SCALES:
        raise SettingError(f"RNNLAB_LESSON_SCALE={scale!r} is not one of: {', '.join(SCALES)}")
    return scale


def get_lesson(lesson_id: str | None) -> tuple[int, Lesson]:
    """``(index, lesson)`` for ``lesson_id``; the first lesson when it is unknown or missing."""
    for i, lesson in enumerate(LESSONS):
        if lesson.id == lesson_id:
            return i, lesson
    return 0, LESSONS[0]


def lesson_experiments(scale: str | None = None) -> list[Experiment]:
    """Every distinct experiment the lessons show, in lesson order."""
    seen: dict[str, Experiment] = {}
    for lesson in LESSONS:
        for run in lesson.runs:
            exp = run.experiment(scale)
            seen.setdefault(exp.key(), exp)
    return list(seen.values())


def lesson_series(scale: str | None = None) -> list[dict]:
    """The data specifications (as dicts) the lessons use: the generated series one and ten steps ahead, and the
    real series' lesson's windows."""
    specs: dict[str, dict] = {}
    for exp in lesson_experiments(scale):
        # one board per set of windows: the scaling and start are how a network sees them (RunStore.list too)
        spec = {k: v for k, v in exp.to_dict()["series"].items() if k not in NETWORK_SIDE}
        specs.setdefault(json.dumps(spec, sort_keys=True), spec)
    return list(specs.values())
