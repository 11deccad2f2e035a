"""YAML that remembers where things are: mappings and lists carry the line of each entry."""

from __future__ import annotations

from typing import Any

import yaml

from lms.content.problems import Problems


class LineDict(dict):
    """A YAML mapping; .line(key) is the 1-based line of the key, .first_line its start."""

    first_line: int = 1
    key_lines: dict

    def line(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)


class LineList(list):
    """A YAML sequence; .line(i) is the 1-based line of item i."""

    first_line: int = 1
    item_lines: list

    def line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.first_line


def _build(node: yaml.Node, loader: yaml.SafeLoader, file: str, problems: Problems, offset: int) -> Any:
    line = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.first_line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1 + offset
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.error(file, key_line, "keys must be plain words")
                continue
            key = str(key)
            if key in result:
                problems.error(file, key_line, f"duplicate key '{key}'")
                continue
            result[key] = _build(value_node, loader, file, problems, offset)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.first_line = line
        items.item_lines = []
        for child in node.value:
            items.append(_build(child, loader, file, problems, offset))
            items.item_lines.append(child.start_mark.line + 1 + offset)
        return items
    return loader.construct_object(node, deep=True)


def load_mapping(text: str, file: str, problems: Problems, line_offset: int = 0) -> LineDict | None:
    """Parse YAML text that must be a mapping; report syntax errors and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        problems.error(file, line, f"invalid YAML: {problem}")
        return None
    if node is None:
        problems.error(file, line_offset + 1, "empty: expected a mapping of keys")
        return None
    if not isinstance(node, yaml.MappingNode):
        problems.error(file, node.start_mark.line + 1 + line_offset, "expected a mapping of keys (key: value)")
        return None
    loader = yaml.SafeLoader("")
    try:
        return _build(node, loader, file, problems, line_offset)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.error(file, mark.line + 1 + line_offset if mark else None, f"invalid YAML: {exc}")
        return None
    finally:
        loader.dispose()
