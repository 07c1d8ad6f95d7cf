"""Rasa's prediction graph run in a fixed order, without building and scheduling a dask graph every call.

Rasa 3.6 runs its trained graph with `DaskGraphRunner`: on every call (a parse, and each of the two to four
action predictions of a turn) it derives the minimal schema for the targets, builds a dask graph from it,
and has dask's synchronous scheduler order it (`dask.order`), track each task's state and hand results on.
py-spy on a warm Rasa server put that bookkeeping at about a tenth of the server's time; an action
prediction runs five nodes, each a plain function call.

`SequentialGraphRunner` does what dask does here: it runs every node of the targets' minimal schema that
an input does not replace, each after the nodes it needs, passes each node the `(name, output)` pairs of
those nodes (or the bare name of one nothing provides, as dask does: the node then fails the run), and
returns `{target: output}`. The order is worked out once per set of targets and input names. The nodes
are Rasa's own `GraphNode`s, hooks included; exceptions come out as under dask's synchronous scheduler (a
`RuntimeError` as `GraphRunError`, as Rasa's runner wraps it). A run is one prediction for
`rasa_server.dialogue_states`: its policies share one replay of the conversation.

`install` makes the Rasa server's processor load its model with this runner (training keeps dask's).
tests/rasa/test_graph_runner.py checks it against `DaskGraphRunner` on graphs of real `GraphNode`s;
bench/rasa_parts.py on the trained model (the same predictions, and their CPU).
"""

from __future__ import annotations

from typing import Any

import rasa.core.processor as rasa_processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelStorage

from rasa_server import dialogue_states

_Step = tuple[str, tuple[str, ...]]  # a node and the names it needs, in its parameters' order


def execution_order(nodes: dict[str, SchemaNode], inputs: frozenset[str]) -> list[_Step]:
    """The nodes of a minimal schema that no input replaces, each after every node it needs."""
    order: list[_Step] = []
    placed: set[str] = set(inputs)

    # Rasa's schemas have no cycles (`minimal_graph_schema` itself would not end on one).
    def place(name: str) -> None:
        if name in placed or name not in nodes:
            return  # an input, a node already placed, or a name nothing provides
        needs = tuple(nodes[name].needs.values())
        for need in needs:
            place(need)
        placed.add(name)
        order.append((name, needs))

    for name in nodes:  # every node of the minimal schema runs, as under dask
        place(name)
    return order


class SequentialGraphRunner(DaskGraphRunner):
    """`DaskGraphRunner`'s nodes and results, run in an order computed once per targets and inputs."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> None:
        super().__init__(graph_schema, model_storage, execution_context, hooks)
        self._orders: dict[tuple[tuple[str, ...], frozenset[str]], tuple[list[_Step], frozenset[str]]] = {}

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = list(targets) if targets else list(self._graph_schema.target_names)
        given = dict(inputs or {})
        key = (tuple(run_targets), frozenset(given))
        planned = self._orders.get(key)
        if planned is None:
            nodes = self._graph_schema.minimal_graph_schema(run_targets).nodes
            planned = (execution_order(nodes, key[1]), frozenset(nodes))
            self._orders[key] = planned
        order, names = planned
        known = set(names)  # as dask's runner checks: the minimal graph, then each input as it is added
        for input_name, value in given.items():
            if isinstance(value, str) and value in known:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema."
                )
            known.add(input_name)
        results: dict[str, Any] = {name: (name, value) for name, value in given.items()}
        try:
            with dialogue_states.one_prediction():
                for name, needs in order:
                    node = self._instantiated_nodes[name]
                    results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)


def install() -> None:
    """The Rasa server's processor loads its model with `SequentialGraphRunner` (Rasa 3.6 names the runner
    class in `rasa.core.processor`)."""
    rasa_processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
