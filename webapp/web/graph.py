"""Lays a plan out as a graph, left to right by depth: one node per step, an edge per
dependency. Pure geometry; `templates/_graph.html` draws it as SVG."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from webapp.web.text_width import em_width, fit

NODE_W, NODE_H = 172, 78
GAP_X, GAP_Y = 30, 18
PAD = 8

LABEL_PX, LABEL_X, LABEL_RIGHT = 12, 12, 8  # font size (app.css .node text), inset (_graph_node)
LINE_EM = (NODE_W - LABEL_X - LABEL_RIGHT) / LABEL_PX  # a node's label line, two at most


@dataclass(frozen=True)
class Node:
    step_id: str
    tool: str
    label: str
    gist: str
    status: str
    attempts: int
    x: int
    y: int
    provider: str = ""  # who serves the step, in words ("demo directory", "Google Places")

    @property
    def label_lines(self) -> list[str]:
        """The label in lines that fit the node (`text_width`), broken between words; two
        lines, the second cut with "…" only when the label is longer than both."""
        lines: list[str] = []
        for word in self.label.split():
            if lines and em_width(f"{lines[-1]} {word}") <= LINE_EM:
                lines[-1] += " " + word
            else:
                lines.append(word)
        if len(lines) > 2:
            lines = [lines[0], " ".join(lines[1:])]
        return [fit(line, LINE_EM) for line in lines]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str
    status: str  # the source's state: an edge out of a failed step reads as blocked


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    node_w: int = NODE_W
    node_h: int = NODE_H


@dataclass(frozen=True)
class GraphStep:
    step_id: str
    tool: str
    label: str
    gist: str
    depends_on: list[str]
    status: str = "pending"
    attempts: int = 0
    provider: str = ""


def depths(steps: Iterable[GraphStep]) -> dict[str, int]:
    """Each step's column: one more than its deepest dependency (plans are small DAGs)."""
    by_id = {step.step_id: step for step in steps}
    found: dict[str, int] = {}

    def depth(step_id: str, trail: frozenset[str]) -> int:
        if step_id in found:
            return found[step_id]
        step = by_id[step_id]
        parents = [d for d in step.depends_on if d in by_id and d not in trail]
        value = 1 + max((depth(p, trail | {step_id}) for p in parents), default=-1)
        found[step_id] = value
        return value

    for step_id in by_id:
        depth(step_id, frozenset())
    return found


def layout(steps: list[GraphStep]) -> Graph:
    column_of = depths(steps)
    rows: dict[int, int] = {}
    positions: dict[str, tuple[int, int]] = {}
    nodes = []
    for step in steps:
        column = column_of[step.step_id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        x = PAD + column * (NODE_W + GAP_X)
        y = PAD + row * (NODE_H + GAP_Y)
        positions[step.step_id] = (x, y)
        nodes.append(
            Node(
                step.step_id,
                step.tool,
                step.label,
                step.gist,
                step.status,
                step.attempts,
                x,
                y,
                step.provider,
            )
        )
    status_of = {step.step_id: step.status for step in steps}
    edges = []
    for step in steps:
        for dep in step.depends_on:
            if dep not in positions:
                continue
            (x1, y1), (x2, y2) = positions[dep], positions[step.step_id]
            start_x, start_y = x1 + NODE_W, y1 + NODE_H // 2
            end_x, end_y = x2, y2 + NODE_H // 2
            bend = (end_x - start_x) // 2
            path = (
                f"M{start_x},{start_y} C{start_x + bend},{start_y} "
                f"{end_x - bend},{end_y} {end_x},{end_y}"
            )
            edges.append(Edge(dep, step.step_id, path, status_of[dep]))
    columns = max(column_of.values(), default=0) + 1
    most_rows = max(rows.values(), default=1)
    return Graph(
        nodes=nodes,
        edges=edges,
        width=PAD * 2 + columns * NODE_W + (columns - 1) * GAP_X,
        height=PAD * 2 + most_rows * NODE_H + (most_rows - 1) * GAP_Y,
    )
