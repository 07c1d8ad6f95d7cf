"""The sequential graph runner gives what Rasa's DaskGraphRunner gives, on graphs of real GraphNodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa")

from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from rasa_server import graph_runner
from rasa_server.graph_runner import SequentialGraphRunner, execution_order

CALLS: list[str] = []


class Step(GraphComponent):
    """Records its run and returns its name with what it was given."""

    def __init__(self, name: str) -> None:
        self._name = name

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Step:
        return cls(config["name"])

    def run(self, **given: Any) -> Any:
        CALLS.append(self._name)
        if self._name == "broken":
            raise ValueError("broken on purpose")
        return [self._name, {key: given[key] for key in sorted(given)}]


def node(name: str, **needs: str) -> SchemaNode:
    return SchemaNode(
        needs=needs, uses=Step, constructor_name="create", fn="run", config={"name": name}, eager=True
    )


# a diamond under two targets, a node needing an input, one needing a name nothing provides, a side branch
SCHEMA = GraphSchema(
    {
        "source": node("source", message="__message__"),
        "left": node("left", x="source"),
        "right": node("right", x="source"),
        "join": node("join", a="left", b="right"),
        "other": node("other", x="right"),
        "lonely": node("lonely", x="nowhere"),
        "unused": node("unused"),
    }
)


def runners(tmp_path: Path, schema: GraphSchema) -> tuple[DaskGraphRunner, SequentialGraphRunner]:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(schema, "test")
    return DaskGraphRunner(schema, storage, context), SequentialGraphRunner(schema, storage, context)


@pytest.mark.parametrize(
    "targets,inputs",
    [
        (["join"], {"__message__": "hello"}),
        (["join", "other"], {"__message__": "hello"}),
        (["other"], {"__message__": "hello", "left": "unused input"}),
        (["join"], {"__message__": "hello", "source": ["given instead"]}),  # an input replaces a node
        (["source"], {"__message__": {"nested": [1, 2]}}),
    ],
)
def test_the_same_outputs_and_nodes_run_as_under_dask(
    tmp_path: Path, targets: list[str], inputs: dict[str, Any]
) -> None:
    dask, sequential = runners(tmp_path, SCHEMA)
    CALLS.clear()
    expected = dask.run(inputs=dict(inputs), targets=targets)
    dask_calls = sorted(CALLS)
    CALLS.clear()
    assert sequential.run(inputs=dict(inputs), targets=targets) == expected
    assert sorted(CALLS) == dask_calls
    CALLS.clear()
    assert sequential.run(inputs=dict(inputs), targets=targets) == expected  # the cached order, again
    assert sorted(CALLS) == dask_calls


MINIMAL = SCHEMA.minimal_graph_schema(["join", "other"]).nodes


def test_every_node_runs_after_the_nodes_it_needs() -> None:
    order = [name for name, _ in execution_order(MINIMAL, frozenset({"__message__"}))]
    assert sorted(order) == ["join", "left", "other", "right", "source"]
    for name, needs in execution_order(MINIMAL, frozenset({"__message__"})):
        assert all(order.index(need) < order.index(name) for need in needs if need in order)


def outcome(runner: DaskGraphRunner, targets: list[str], inputs: dict[str, Any] | None = None) -> Any:
    """The run's result, or the kind and text of the error it raised."""
    try:
        return runner.run(inputs=dict(inputs or {}), targets=targets)
    except (GraphRunError, GraphComponentException) as failure:
        return type(failure), str(failure)


def test_a_name_nothing_provides_reaches_the_node_and_fails_it_as_under_dask(tmp_path: Path) -> None:
    dask, sequential = runners(tmp_path, SCHEMA)
    failure = outcome(sequential, ["lonely"])
    assert failure == outcome(dask, ["lonely"])
    assert failure[0] is GraphRunError and "nowhere" in failure[1]


def test_a_failing_node_fails_the_run_as_under_dask(tmp_path: Path) -> None:
    schema = GraphSchema({"broken": node("broken"), "after": node("after", x="broken")})
    dask, sequential = runners(tmp_path, schema)
    failure = outcome(sequential, ["after"])
    assert failure == outcome(dask, ["after"])
    assert failure[0] is GraphComponentException


@pytest.mark.parametrize(
    "inputs,targets",
    [
        ({"__message__": "left"}, ["join"]),  # a node of the run
        ({"__message__": "unused"}, ["source"]),  # a node outside the run: dask takes it
        ({"__message__": "hello", "other": "__message__"}, ["source"]),  # an input given before
    ],
)
def test_an_input_value_naming_a_node_is_refused_as_under_dask(
    tmp_path: Path, inputs: dict[str, Any], targets: list[str]
) -> None:
    dask, sequential = runners(tmp_path, SCHEMA)
    assert outcome(sequential, targets, inputs) == outcome(dask, targets, inputs)


def test_install_makes_the_processor_load_models_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core import processor

    monkeypatch.setattr(processor, "DaskGraphRunner", DaskGraphRunner)
    graph_runner.install()
    assert processor.DaskGraphRunner is SequentialGraphRunner
