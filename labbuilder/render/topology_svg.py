"""A lab's topology as one SVG picture (drawsvg): the libvirt networks as buses across the
top, one box per node below them with its NICs wired to their network, and inside each box the
node's Open vSwitch bridges and ports. Whatever disagrees with the plan gets a red badge.

Every node is a ``<g class="lb-node" id="node-<name>">`` and every network a
``<g class="lb-network" id="net-<name>">``, each with ``data-status``.
"""

from __future__ import annotations

import drawsvg as dw

from labbuilder.model.topology import OK, NodeView, Topology

NODE_W = 300
GAP = 36
MARGIN = 24
BUS_H = 46
LINE = 17
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Liberation Mono, monospace"
BAD = "#c62828"
NET_COLORS = {"external": "#1565c0", "tunnel": "#6a1b9a", "": "#8d6e63"}


def _badge(group: dw.Group, x: float, y: float, status: str) -> None:
    if status == OK:
        return
    width = 9 + 7.2 * len(status)
    group.append(dw.Rectangle(x, y - 13, width, 18, rx=9, fill=BAD, class_="lb-badge"))
    group.append(
        dw.Text(
            status, 12, x + width / 2, y, fill="white", text_anchor="middle", font_weight="bold"
        )
    )


def _node_lines(node: NodeView) -> list[tuple[str, str, str]]:
    """(text, style, status) rows inside a node box."""
    rows: list[tuple[str, str, str]] = []
    for nic in node.nics:
        rows.append((f"{nic.name}  {nic.mac}", "nic", nic.status))
        text = ", ".join(nic.addresses) or "no address"
        rows.append((f"   {text}{'  (' + nic.note + ')' if nic.note else ''}", "addr", OK))
    if node.bridges:
        rows.append(("Open vSwitch", "head", OK))
    for bridge in node.bridges:
        addr = f"  {', '.join(bridge.addresses)}" if bridge.addresses else ""
        rows.append((f"{bridge.name}{addr}", "bridge", bridge.status))
        rows += [(f"   {port}", "port", OK) for port in bridge.ports]
    return rows


def draw(topology: Topology) -> str:
    """The picture as an ``<svg>`` element (no XML prolog), ready to inline in HTML."""
    nets = topology.networks
    nodes = topology.nodes
    top = MARGIN + len(nets) * BUS_H + 30
    heights = [64 + LINE * len(_node_lines(n)) for n in nodes] or [0]
    width = max(2 * MARGIN + len(nodes) * (NODE_W + GAP) - GAP, 640)
    height = top + max(heights) + MARGIN
    d = dw.Drawing(width, height, font_family=FONT, id="topology")
    d.append(dw.Rectangle(0, 0, width, height, fill="white"))
    bus_y = {}
    for i, net in enumerate(nets):
        y = MARGIN + i * BUS_H + 22
        bus_y[net.name] = y
        color = NET_COLORS.get(net.role, NET_COLORS[""]) if net.status == OK else BAD
        g = dw.Group(id=f"net-{net.name}", class_="lb-network", data_status=net.status)
        dash = "8,5" if net.status != OK else None
        g.append(
            dw.Line(
                MARGIN, y, width - MARGIN, y, stroke=color, stroke_width=5, stroke_dasharray=dash
            )
        )
        where = ", ".join(x for x in (net.role or "not planned", net.bridge) if x)
        label = f"{net.name}  {net.subnet}  ({where})"
        g.append(dw.Text(label, 13, MARGIN, y - 9, fill=color, font_weight="bold"))
        _badge(g, MARGIN + 9 + 7.6 * len(label), y - 9, net.status)
        g.append_title(f"{net.name}: {net.status}")
        d.append(g)
    for i, node in enumerate(nodes):
        x = MARGIN + i * (NODE_W + GAP)
        rows = _node_lines(node)
        h = heights[i]
        g = dw.Group(id=f"node-{node.name}", class_="lb-node", data_status=node.status)
        for j, nic in enumerate(node.nics):
            if nic.network not in bus_y:
                continue
            cx = x + 40 + j * 60
            color = (
                BAD
                if nic.status != OK
                else NET_COLORS.get(
                    next((n.role for n in nets if n.name == nic.network), ""), NET_COLORS[""]
                )
            )
            g.append(dw.Line(cx, bus_y[nic.network], cx, top, stroke=color, stroke_width=3))
            g.append(dw.Circle(cx, bus_y[nic.network], 5, fill=color))
            g.append(dw.Text(nic.name, 11, cx + 5, top - 6, fill=color))
        border = BAD if node.status != OK else "#37474f"
        g.append(
            dw.Rectangle(x, top, NODE_W, h, rx=8, fill="#fafafa", stroke=border, stroke_width=2)
        )
        g.append(dw.Text(node.name, 16, x + 12, top + 24, font_weight="bold", fill="#212121"))
        _badge(g, x + 20 + 9.5 * len(node.name), top + 22, node.status)
        g.append(
            dw.Text(", ".join(node.roles) or node.domain, 12, x + 12, top + 42, fill="#546e7a")
        )
        y = top + 64
        for text, style, status in rows:
            color = (
                BAD
                if status != OK
                else {"head": "#37474f", "bridge": "#2e7d32"}.get(style, "#263238")
            )
            weight = "bold" if style in {"head", "bridge", "nic"} else "normal"
            g.append(dw.Text(text, 12, x + 12, y, fill=color, font_family=MONO, font_weight=weight))
            if status != OK:
                _badge(g, x + NODE_W - 14 - 7.2 * len(status) - 9, y, status)
            y += LINE
        g.append_title(f"{node.name} ({node.domain}): {node.status}")
        d.append(g)
    return "\n".join(line for line in d.as_svg().splitlines() if not line.startswith("<?xml"))
