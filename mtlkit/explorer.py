"""An ipywidgets explorer for loss weighting (lesson 5): pick a method and its hyper-parameters, click
**Run**, and watch the task weights and losses evolve epoch by epoch.

    from mtlkit.explorer import WeightingExplorer
    explorer = WeightingExplorer(train, val)
    explorer.display()                       # in a notebook
    history = explorer.run()                 # what the Run button does, callable anywhere

The widgets only collect values; :meth:`WeightingExplorer.run` trains a fresh hard-sharing model with
:func:`mtlkit.train.fit` and redraws the figure from ``fit``'s per-epoch ``callback``, so it can be
driven headless (tests set the widgets' values and call ``button.click()``).

The methods and the hyper-parameter each one reads (``mtlkit.weighting.create`` options):

- ``static``: ``gamma`` — ``gamma * L_fine + (1 - gamma) * L_coarse``;
- ``dwa``: ``temperature`` T (Liu et al., CVPR 2019);
- ``gradnorm``: ``alpha`` (Chen et al., ICML 2018);
- ``equal``, ``uncertainty`` (Kendall et al., CVPR 2018), ``pcgrad`` (Yu et al., NeurIPS 2020): none.

Every run uses the same seed, so two runs differ only by the settings. Imports of torch, matplotlib
and ipywidgets happen when an explorer is built, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mtlkit.errors import UserError
from mtlkit.weighting.registry import names

METHODS = tuple(names())  # every registered weighting
# method -> the slider it reads, as (widget attribute, weighting option)
OPTIONS: dict[str, tuple[str, str]] = {
    "static": ("gamma", "gamma"),
    "dwa": ("temperature", "temperature"),
    "gradnorm": ("alpha", "alpha"),
}


def weighting_kwargs(method: str, gamma: float, temperature: float, alpha: float) -> dict[str, float]:
    """The ``mtlkit.weighting.create`` options of ``method`` from the slider values."""
    if method not in METHODS:
        from mtlkit.errors import unknown_name

        raise unknown_name("weighting", method, METHODS)
    values = {"gamma": gamma, "temperature": temperature, "alpha": alpha}
    if method not in OPTIONS:
        return {}
    slider, option = OPTIONS[method]
    return {option: float(values[slider])}


def plot_history(records: Sequence[Mapping[str, Any]] | Any, title: str = "", fig=None):
    """Weights, training losses and validation accuracy per epoch, one line per task.

    ``records`` is a :class:`~mtlkit.train.History` or a list of ``fit`` epoch records (what the
    callback receives). Returns the matplotlib figure (drawn into ``fig`` when given).
    """
    import matplotlib.pyplot as plt

    records = list(getattr(records, "epochs", records))
    if fig is None:
        fig = plt.figure(figsize=(12, 3.2))
    fig.clear()
    axes = fig.subplots(1, 3)
    tasks = list(records[0]["train"]) if records else []
    epochs = [r["epoch"] for r in records]
    for i, task in enumerate(tasks):
        color = f"C{i}"
        axes[0].plot(epochs, [r["weights"][task] for r in records], "o-", color=color, label=task)
        axes[1].plot(
            epochs, [r["train"][task]["loss"] for r in records], "o-", color=color, label=f"{task} train"
        )
        if records[0].get("val"):
            axes[1].plot(
                epochs, [r["val"][task]["loss"] for r in records], "s--", color=color, label=f"{task} val"
            )
            axes[2].plot(epochs, [r["val"][task]["acc"] for r in records], "o-", color=color, label=task)
    for ax, label in zip(axes, ("task weight", "cross-entropy", "validation accuracy"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        if epochs:
            ax.set_xticks(epochs if len(epochs) <= 12 else epochs[:: max(1, len(epochs) // 10)])
        if tasks:
            ax.legend(fontsize=8)
    axes[0].set_title("weights in use during the epoch")
    axes[1].set_title("losses")
    axes[2].set_title("accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


class WeightingExplorer:
    """Widgets (method, gamma, temperature, alpha, lr, epochs, Run) around :func:`mtlkit.train.fit`.

    ``train`` / ``val`` are :class:`~mtlkit.data.TaskDataset` splits with the tasks to balance.
    ``make_model()`` builds the model of every run (default: hard sharing on ``tiny_cnn`` of ``width``).
    After a run: ``history`` (the :class:`~mtlkit.train.History`), ``records`` (the epoch records the
    callback saw, in order), ``error`` (the message of a rejected setting, else None).
    """

    def __init__(
        self,
        train,
        val,
        *,
        make_model: Callable[[], Any] | None = None,
        width: int = 8,
        batch_size: int = 64,
        seed: int = 0,
        device: str = "auto",
        method: str = "static",
        epochs: int = 3,
        max_epochs: int = 20,
        lr: float = 2e-3,
        live: bool = True,
    ) -> None:
        try:
            import ipywidgets as widgets
        except ImportError as err:  # a dependency of mtlkit, missing from this environment
            raise UserError("the weighting explorer needs ipywidgets: pip install 'ipywidgets>=7.7'") from err
        if method not in METHODS:
            from mtlkit.errors import unknown_name

            raise unknown_name("weighting", method, METHODS)
        self.train, self.val = train, val
        self.make_model = make_model or self._default_model(width)
        self.batch_size, self.seed, self.device, self.live = batch_size, seed, device, live
        self.history = None
        self.records: list[dict[str, Any]] = []
        self.error: str | None = None
        style = {"description_width": "110px"}
        self.method = widgets.Dropdown(
            options=list(METHODS), value=method, description="weighting", style=style
        )
        self.gamma = widgets.FloatSlider(
            value=0.5, min=0.0, max=1.0, step=0.05, description="gamma (static)", style=style
        )
        self.temperature = widgets.FloatSlider(
            value=2.0, min=0.25, max=10.0, step=0.25, description="T (dwa)", style=style
        )
        self.alpha = widgets.FloatSlider(
            value=1.5, min=0.0, max=3.0, step=0.1, description="alpha (gradnorm)", style=style
        )
        self.lr = widgets.FloatLogSlider(
            value=lr,
            base=10,
            min=-4,
            max=-1,
            step=0.1,
            description="learning rate",
            readout_format=".1e",
            style=style,
        )
        self.epochs = widgets.IntSlider(
            value=epochs, min=1, max=max_epochs, description="epochs", style=style
        )
        self.button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.status = widgets.Label(value="Pick a weighting and click Run.")
        self.output = widgets.Output()
        self.button.on_click(self._on_click)
        self.method.observe(self._on_method, names="value")
        self._on_method()
        controls = widgets.VBox([self.method, self.gamma, self.temperature, self.alpha, self.lr, self.epochs])
        self.widget = widgets.VBox([controls, widgets.HBox([self.button, self.status]), self.output])

    def _default_model(self, width: int) -> Callable[[], Any]:
        tasks = dict(self.train.tasks)

        def make():
            from mtlkit.models import build

            return build("hard", "tiny_cnn", tasks, backbone_kwargs={"width": width})

        return make

    def _on_method(self, _change=None) -> None:
        """Enable only the slider the chosen method reads (the others would do nothing)."""
        used = OPTIONS.get(self.method.value, (None,))[0]
        for name in ("gamma", "temperature", "alpha"):
            getattr(self, name).disabled = name != used

    def settings(self) -> dict[str, Any]:
        """The current choices: method, its options, lr and epochs."""
        return {
            "method": self.method.value,
            "options": weighting_kwargs(
                self.method.value, self.gamma.value, self.temperature.value, self.alpha.value
            ),
            "lr": float(self.lr.value),
            "epochs": int(self.epochs.value),
        }

    def run(self):
        """Train a fresh model with the current settings; redraw after every epoch; return the History."""
        import torch

        from mtlkit.train import TrainConfig, fit
        from mtlkit.weighting import create

        chosen = self.settings()
        torch.manual_seed(self.seed)  # the same initial weights for every run
        model = self.make_model()
        weighting = create(chosen["method"], model.tasks, **chosen["options"])
        self.records, self.history, self.error = [], None, None
        recipe = TrainConfig(
            epochs=chosen["epochs"], batch_size=self.batch_size, lr=chosen["lr"], seed=self.seed
        )
        self.history = fit(
            model,
            self.train,
            self.val,
            recipe,
            weighting=weighting,
            device=self.device,
            progress=False,
            callbacks=[self._on_epoch],
        )
        if not self.live:
            self.redraw()
        best = self.history.best
        if best is not None:
            accs = ", ".join(f"{t} {best['val'][t]['acc']:.1%}" for t in self.history.tasks)
            self.status.value = f"{self.describe()}: best epoch {best['epoch']} (validation accuracy {accs})"
        return self.history

    def describe(self) -> str:
        """A short title for the current settings, e.g. ``static (gamma=0.3), lr 2.0e-03``."""
        chosen = self.settings()
        options = ", ".join(f"{k}={v:g}" for k, v in chosen["options"].items())
        return f"{chosen['method']}{f' ({options})' if options else ''}, lr {chosen['lr']:.1e}"

    def _on_epoch(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        self.status.value = f"epoch {record['epoch']}/{self.epochs.value}"
        if self.live:
            self.redraw()

    def redraw(self) -> None:
        """Draw the recorded epochs into the output area (replacing the previous figure)."""
        if not self.records:
            return
        import matplotlib.pyplot as plt
        from IPython.display import display

        fig = plot_history(self.records, title=self.describe())
        self.output.clear_output(wait=True)
        with self.output:
            display(fig)
        plt.close(fig)

    def _on_click(self, _button=None) -> None:
        self.button.disabled = True
        try:
            self.run()
        except UserError as error:  # e.g. gradnorm on a model without shared parameters
            self.error = str(error)
            self.status.value = f"error: {error}"
        finally:
            self.button.disabled = False

    def display(self) -> None:
        """Show the widgets (in a notebook)."""
        from IPython.display import display

        display(self.widget)
