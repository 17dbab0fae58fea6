"""ipywidgets dashboards of the Team world. They only wire controls to the env, the managers, the
trainers and the figure builders of :mod:`hbkit.viz.team`; nothing here builds figures or
simulates.

* :func:`worker_explorer`: success against cost of every worker, with difficulty and task type
  controls (notebook 01).
* :class:`PlayTeam`: play the manager yourself (notebook 01).
* :class:`HierarchyDashboard`: managers on a success-versus-cost chart with expense and memory
  sliders, and a button that trains MaskablePPO and HBPO (notebook 05).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from hbkit.envs.team import TeamEnv
from hbkit.viz.common import LiveFigure, as_widget, run_in_output, update_in_place
from hbkit.viz.team import success_vs_cost_at, team_dashboard, team_snapshot, worker_value

__all__ = ["worker_explorer", "PlayTeam", "HierarchyDashboard", "fast_grid", "NOTEBOOK_DASHBOARDS"]


def worker_explorer(
    scenario: Any = "hashiru", widget_factory: Callable[[go.Figure], go.Figure] | None = None
) -> LiveFigure:
    """:func:`hbkit.viz.team.worker_value` with a difficulty slider, a task-type dropdown and a
    money-weight slider (a redraw only computes a dozen numbers).

    :param scenario: scenario name or path
    :param widget_factory: how to make the live figure (tests pass ``go.Figure``)
    """
    import ipywidgets as widgets

    world = TeamEnv(scenario).world
    controls = {
        "difficulty": widgets.FloatSlider(
            value=0.5, min=0.0, max=1.0, step=0.05, description="difficulty", continuous_update=True
        ),
        "task_type": widgets.Dropdown(
            options=list(world.type_names), value=world.type_names[0], description="task type"
        ),
        "money_weight": widgets.FloatSlider(
            value=float(world.money_weight),
            min=0.0,
            max=50.0,
            step=1.0,
            description="$ weight",
            continuous_update=True,
        ),
    }
    return LiveFigure(worker_value, controls, fixed={"world_or_env": world}, widget_factory=widget_factory)


class PlayTeam:
    """Be the manager: buttons to answer, hire, fire and assign; gauges for both budgets and the
    feedback table redraw after every action. A "suggest" button shows what the greedy manager
    would do; the budget slider starts a new stream with that expense budget.

    :param scenario: scenario name or path
    :param seed: seed of the first stream (each "new stream" uses the next one)
    :param memory: memory capacity (units), default the scenario's
    :param widget_factory: how to make the live figure (tests pass ``go.Figure``)
    """

    def __init__(
        self,
        scenario: str = "hashiru",
        seed: int = 0,
        memory: int | None = None,
        widget_factory: Callable[[go.Figure], go.Figure] | None = None,
    ):
        import ipywidgets as widgets

        from hbkit.managers.team import MANAGERS

        self.env = TeamEnv(scenario, memory=memory)
        w = self.env.world
        self.seed = int(seed)
        self._advisor = MANAGERS["greedy"](self.env)
        self.obs, self.info = self.env.reset(seed=self.seed)
        self.total = 0.0
        self.log: list[str] = []
        factory = widget_factory or go.FigureWidget
        self.figure = factory(team_dashboard(team_snapshot(self.env)))

        layout = widgets.Layout(width="auto")
        self.answer = widgets.Button(description="answer myself", layout=layout)
        self.hire_choice = widgets.Dropdown(
            options=[(n, i) for i, n in enumerate(w.worker_names)],
            description="worker",
            layout=widgets.Layout(width="220px"),
        )
        self.hire = widgets.Button(description="hire", layout=layout)
        self.slot_choice = widgets.Dropdown(
            options=[(f"slot {j}", j) for j in range(w.num_slots)],
            description="slot",
            layout=widgets.Layout(width="180px"),
        )
        self.assign = widgets.Button(description="assign to slot", button_style="primary", layout=layout)
        self.fire = widgets.Button(description="fire slot", button_style="warning", layout=layout)
        self.suggest = widgets.Button(description="suggest (greedy)", layout=layout)
        self.new = widgets.Button(description="new stream", layout=layout)
        self.budget = widgets.FloatSlider(
            value=w.expense_budget,
            min=0.01,
            max=w.spend_ceiling,
            step=0.01,
            description="budget $",
            readout_format=".2f",
            continuous_update=False,
        )
        self.status = widgets.HTML()
        # what a button or the slider raises is shown here (ipywidgets would keep it to the log)
        self.output = widgets.Output()
        self._on_click(self.answer, lambda: self.act(0))
        self._on_click(self.hire, lambda: self.act(int(w.hire_action[self.hire_choice.value])))
        self._on_click(self.assign, lambda: self.act(int(w.assign_action[self.slot_choice.value])))
        self._on_click(self.fire, lambda: self.act(int(w.fire_action[self.slot_choice.value])))
        self._on_click(self.suggest, self._suggest)
        self._on_click(self.new, self.new_stream)
        self.budget.observe(lambda _: self._run(lambda: self.new_stream(same_seed=True)), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.answer, self.hire_choice, self.hire]),
                widgets.HBox([self.slot_choice, self.assign, self.fire, self.suggest]),
                widgets.HBox([self.budget, self.new]),
                self.status,
                self.output,
                as_widget(self.figure),
            ]
        )
        self._note("A new stream of tasks. Hire a worker, then assign it the task, or answer yourself.")

    def _run(self, fn: Callable[[], Any]) -> None:
        """Run a control's action with its exception shown in :attr:`output` (and raised again)."""
        if self.output.outputs:  # the last action's traceback, if any
            self.output.clear_output()
        run_in_output(self.output, fn)

    def _on_click(self, button: Any, fn: Callable[[], Any]) -> None:
        button.on_click(lambda _: self._run(fn))

    # -- actions -------------------------------------------------------------------------------
    def act(self, action: int) -> None:
        """Take ``action`` (an index; see ``env.world.action_names``) and redraw."""
        w = self.env.world
        if self.env.sim.done[0]:
            self._note("The stream is over: start a new one.")
            return
        before = team_snapshot(self.env)
        self.obs, reward, term, trunc, self.info = self.env.step(int(action))
        self.total += reward
        name = w.action_name(action)
        if not self.info["accepted"]:
            text = f"<b>rejected</b>: {self.info['reason']} (nothing changed)"
        elif self.info["outcome"] >= 0:
            result = "solved its part" if self.info["outcome"] else "<b>failed</b> its part"
            who = "you" if action == 0 else before["team"][int(w.action_arg[action])]
            text = f"{name}: {who} {result}"
            if self.info["spent"] > before["spent"]:
                text += f" for ${self.info['spent'] - before['spent']:.5f}"
        else:
            text = name
            if self.info["spent"] > before["spent"]:
                text += f" (fee ${self.info['spent'] - before['spent']:.4f})"
        text += f"; reward {reward:+.3f}, total {self.total:.2f}"
        if term or trunc:
            why = (
                "the money ran out"
                if self.info["exhausted"]
                else "the step limit was reached"
                if trunc
                else "all tasks are done"
            )
            text += f". <b>Stream over</b>: {why}, {self.info['solved']} of {w.num_tasks} solved."
        self._note(text)

    def new_stream(self, same_seed: bool = False) -> None:
        """Start a new stream (the next seed, or the same one) with the slider's budget."""
        if not same_seed:
            self.seed += 1
        self.obs, self.info = self.env.reset(seed=self.seed, options={"budget": float(self.budget.value)})
        self.total = 0.0
        self.log = []
        self._note(f"New stream (seed {self.seed}), expense budget ${self.budget.value:.2f}.")

    def _suggest(self) -> None:
        a = int(self._advisor(self.obs, self.info))
        self._note(f"The greedy manager would: <b>{self.env.world.action_name(a)}</b>", log=False)

    def _note(self, text: str, log: bool = True) -> None:
        if log:
            self.log = (self.log + [text])[-6:]
            lines = self.log
        else:
            lines = self.log + [text]
        self.status.value = "<br>".join(lines)
        update_in_place(self.figure, team_dashboard(team_snapshot(self.env)))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class HierarchyDashboard:
    """Managers on a success-versus-cost chart; sliders pick the expense budget and the memory of a
    precomputed :func:`hbkit.grids.budget_memory_grid` grid, so a redraw never evaluates or trains.
    The "train" button trains MaskablePPO, HBPO and HBPO-router (progress bars), evaluates them on the grid
    and adds them to the chart; it can be pressed again (a new seed each time).

    :param grid: a :func:`hbkit.grids.budget_memory_grid` result
    :param y: ``"success_rate"`` or ``"reward"``
    :param train: ``train(seed) -> {name: agent}``; default :func:`hbkit.train.team.learned_managers`
        with the scenario's settings (shrunk in fast mode)
    :param widget_factory: how to make the live figure (tests pass ``go.Figure``)
    """

    def __init__(
        self,
        grid: dict[str, Any],
        y: str = "success_rate",
        train: Callable[[int], dict[str, Any]] | None = None,
        widget_factory: Callable[[go.Figure], go.Figure] | None = None,
    ):
        import ipywidgets as widgets

        self.grid = grid
        budgets, memories = grid["expense_budgets"], grid["memories"]
        b0 = min(budgets, key=lambda b: abs(b - 0.2))
        m0 = min(memories, key=lambda m: abs(m - 100))
        self.expense = widgets.SelectionSlider(
            options=[(f"${b:g}", b) for b in budgets], value=b0, description="expense", continuous_update=True
        )
        self.memory = widgets.SelectionSlider(
            options=[(f"{m * 0.16:g} GB", m) for m in memories],
            value=m0,
            description="memory",
            continuous_update=True,
        )
        self.live = LiveFigure(
            success_vs_cost_at,
            {"expense": self.expense, "memory": self.memory},
            fixed={"grid": grid, "y": y},
            widget_factory=widget_factory,
        )
        self._train = train
        self.runs = 0
        self.button = widgets.Button(
            description="train MaskablePPO + HBPO + HBPO-router",
            button_style="success",
            layout=widgets.Layout(width="auto"),
        )
        self.output = widgets.Output()
        self.button.on_click(lambda _: self.train())
        self.widget = widgets.VBox([self.live.widget, widgets.HBox([self.button]), self.output])

    @property
    def figure(self) -> go.Figure:
        return self.live.figure

    def train(self) -> dict[str, Any]:
        """Train the learned managers, evaluate them on the grid and redraw (re-runnable)."""
        from hbkit.grids import add_to_grid

        train = self._train
        if train is None:
            from hbkit.train.team import learned_managers

            def train(seed: int) -> dict[str, Any]:
                return learned_managers(self.grid["scenario"], seed=seed)

        def run() -> dict[str, Any]:
            agents = train(self.runs)
            add_to_grid(self.grid, agents, progress=True)
            return agents

        self.button.disabled = True
        try:
            agents = run_in_output(self.output, run)
            self.runs += 1
        finally:
            self.button.disabled = False
        self.live.refresh()
        return agents

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def describe(self) -> str:
        """A short text of the current point (for screen readers and plain terminals)."""
        rows = self.grid["points"][(self.expense.value, self.memory.value)]
        return "; ".join(
            f"{html.escape(n)}: success {r['success_rate']:.2f}, ${r['expense_spent']:.3f}"
            for n, r in rows.items()
        )


def fast_grid(scenario: Any = "hashiru", episodes: int = 16, seed: int = 0) -> dict[str, Any]:
    """A small :func:`hbkit.grids.budget_memory_grid` grid of every hand-written manager (four expense
    budgets, three memory sizes): what notebook 05 shows in fast mode."""
    import gymnasium as gym

    from hbkit.grids import budget_memory_grid
    from hbkit.managers.team import make_managers

    env = gym.make("hbkit/Team-v0", scenario=scenario)
    return budget_memory_grid(
        make_managers(env),
        expense_budgets=(0.05, 0.1, 0.2, 0.3),
        memories=(50, 100, 150),
        scenario=scenario,
        episodes=episodes,
        seed=seed,
    )


def _hierarchy_live(widget_factory: Callable[[go.Figure], go.Figure] | None = None) -> LiveFigure:
    return HierarchyDashboard(fast_grid(), widget_factory=widget_factory).live


#: Every LiveFigure each notebook shows, as factories (``factory(widget_factory=...)``) at fast
#: sizes: the slider benchmark builds them and moves every control.
NOTEBOOK_DASHBOARDS: dict[str, list[Callable[..., LiveFigure]]] = {
    "01_agents": [worker_explorer],
    "05_hierarchy": [_hierarchy_live],
}
