"""YAML text to plain data within a budget: the bounded composer and builder behind `yamlio`.

A YAML file is also an easy way to make a small input very expensive, so every read is bounded
(`Limits`), and a file over a bound ends in one problem naming its line:

- size: the file is read up to `max_bytes` and refused beyond it;
- nesting: libyaml's composer recurses in C once per level and crashes the interpreter
  (SIGSEGV, no message at all) near 100,000 levels, which `- - - - ...` reaches in 200 KB. So
  the node tree is composed here from the parser's events, with an explicit stack, and nesting
  deeper than `max_depth` is refused as it is met; building checks it again, since a chain of
  aliases can nest deeper than the text does;
- expansion: an alias is built again at every use, so nine lines of aliases of aliases (a
  "billion laughs") expand to 9**9 values. Every node visited while building counts against
  `max_nodes`, every visit made through an alias also against `max_alias_nodes`, and the keys a
  merge key (`<<: *a`) brings in count as well. Merge keys are resolved here rather than by
  PyYAML's `flatten_mapping`, which copies merged keys into the node, duplicates included, and
  so grows exponentially with merges of merges before any budget could see it.

Besides the data, building records the line of every key path and reports what it leaves out
(duplicate keys, keys that are not text, bad values, tags) as problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import yaml
from yaml.composer import ComposerError

from fhir_apps.safeio.text import shown
from fhir_apps.spec.errors import Problem
from fhir_apps.spec.keypath import Path_, format_path

__all__ = ["Limits", "YamlFileError", "parse_yaml"]


@dataclass(frozen=True)
class Limits:
    """What reading one YAML file may cost; `what` names the kind of file in messages."""

    max_bytes: int
    max_depth: int
    max_nodes: int
    max_alias_nodes: int
    what: str


class YamlFileError(Exception):
    """The file cannot be read as YAML within its limits; `problem` says where and why.

    `malformed` is true for YAML syntax errors, as opposed to a file that cannot be read, is
    not UTF-8, or is over a limit (a caller that also accepts JSON tells the two apart).
    """

    def __init__(self, problem: Problem, *, malformed: bool = False) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.malformed = malformed


# libyaml's parser when PyYAML was built with it (about ten times faster); same safe constructor.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LIBYAML: Final = _BaseLoader is not yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


_MAP: Final = "tag:yaml.org,2002:map"
_SEQ: Final = "tag:yaml.org,2002:seq"
_STR: Final = "tag:yaml.org,2002:str"
_MERGE: Final = "tag:yaml.org,2002:merge"
_VALUE: Final = "tag:yaml.org,2002:value"  # the `=` key, which PyYAML reads as the text "="

Pairs = list[tuple[yaml.Node, yaml.Node]]
# A merged pair, with the line of the merge key (or outer alias) that brought it in.
MergedPairs = list[tuple[yaml.Node, yaml.Node, int]]


class _Alias(yaml.Node):
    """One use of an anchor (`*name`). Kept apart from the node it names, so that building
    knows where in the text an expansion starts and can name that line when it goes too far."""

    id = "alias"

    def __init__(self, target: yaml.Node, start_mark: Any, end_mark: Any) -> None:
        super().__init__(target.tag, target, start_mark, end_mark)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _target(node: yaml.Node) -> yaml.Node:
    return node.value if isinstance(node, _Alias) else node


def parse_yaml(
    text: str, display: str, limits: Limits, lines: dict[Path_, int] | None = None
) -> tuple[Any, list[Problem]]:
    """`load_yaml` for text already read (with `read_text`)."""
    loader = _Loader(text)
    try:
        root = _Composer(loader, display, limits).document()
    except yaml.MarkedYAMLError as exc:
        raise YamlFileError(_malformed(display, exc), malformed=True) from None
    except yaml.reader.ReaderError as exc:
        raise YamlFileError(_unreadable(display, text, exc), malformed=True) from None
    except yaml.YAMLError as exc:
        raise YamlFileError(
            Problem(display, "", f"malformed YAML: {shown(str(exc), 300)}"), malformed=True
        ) from None
    finally:
        loader.dispose()
    if root is None:
        return None, []
    lines = {} if lines is None else lines
    lines[()] = _line(root)
    builder = _Builder(loader, display, limits, lines)
    return builder.build(root, (), None), builder.problems


def _malformed(display: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    where = f"line {line}, column {mark.column + 1}" if mark else ""
    reason = shown(exc.problem or exc.context or "malformed YAML", 300)
    return Problem(display, where, f"malformed YAML: {reason}", line)


def _unreadable(display: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    # Its str() spans two lines and names an offset (in bytes for libyaml, which reads UTF-8,
    # in characters for PyYAML's own reader); say the line instead.
    if _LIBYAML:
        line = text.encode("utf-8")[: exc.position].count(b"\n") + 1
    else:
        line = text.count("\n", 0, exc.position) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    return Problem(
        display,
        "",
        f"malformed YAML: the character U+{code:04X} is not allowed in YAML; remove it",
        line,
    )


class _Composer:
    """The node tree of the single document in the stream, composed from the parser's events
    without recursion (see the module docstring), refusing nesting deeper than the limit and
    aliases used inside the node they name (a structure that contains itself)."""

    def __init__(self, loader: _Loader, display: str, limits: Limits) -> None:
        self.loader = loader
        self.display = display
        self.limits = limits
        self.anchors: dict[str, yaml.Node] = {}

    def document(self) -> yaml.Node | None:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        start = loader.get_event()  # document start
        root = self._root()
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream",
                start.start_mark,
                "but found another document",
                loader.get_event().start_mark,
            )
        return root

    def _root(self) -> yaml.Node:
        open_nodes: list[yaml.CollectionNode] = []
        # Per open collection: the key of a mapping waiting for its value (None otherwise).
        pending: list[yaml.Node | None] = []
        while True:
            event = self.loader.get_event()
            if isinstance(event, yaml.CollectionEndEvent):
                done = open_nodes.pop()
                pending.pop()
                done.end_mark = event.end_mark
                if not open_nodes:
                    return done
                continue
            node = self._node(event, open_nodes)
            if open_nodes:
                self._attach(open_nodes[-1], pending, node)
            if isinstance(node, yaml.CollectionNode):
                open_nodes.append(node)
                pending.append(None)
                if len(open_nodes) > self.limits.max_depth:
                    raise YamlFileError(self._too_deep(event))
            elif not open_nodes:
                return node

    @staticmethod
    def _attach(
        parent: yaml.CollectionNode, pending: list[yaml.Node | None], node: yaml.Node
    ) -> None:
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif pending[-1] is None:
            pending[-1] = node
        else:
            parent.value.append((pending[-1], node))
            pending[-1] = None

    def _node(self, event: Any, open_nodes: list[yaml.CollectionNode]) -> yaml.Node:
        # libyaml's marks are another class than PyYAML's, which the stubs do not allow for.
        start: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor or "")
            if target is None:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", start)
            if any(target is node for node in open_nodes):
                raise ComposerError(
                    None,
                    None,
                    f"the alias *{event.anchor} is used inside the node it names, which would "
                    "contain itself",
                    start,
                )
            return _Alias(target, start, event.end_mark)
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchors[anchor].start_mark,
                "second occurrence",
                start,
            )
        node = self._new(event)
        if anchor is not None:
            self.anchors[anchor] = node
        return node

    def _new(self, event: Any) -> yaml.Node:
        tag = event.tag
        start: Any = event.start_mark  # libyaml's or PyYAML's Mark (see _node)
        end: Any = event.end_mark
        if isinstance(event, yaml.ScalarEvent):
            if tag is None or tag == "!":
                tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            return yaml.ScalarNode(tag, event.value, start, end, style=event.style)
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, None, event.implicit)
        return kind(tag, [], event.start_mark, None, flow_style=event.flow_style)

    def _too_deep(self, event: Any) -> Problem:
        return Problem(
            self.display,
            "",
            f"nested more than {self.limits.max_depth} levels deep; {self.limits.what} nests "
            "far less, so the file is refused",
            int(event.start_mark.line) + 1,
        )


class _Builder:
    """Plain data from the node tree, within the node budget (see the module docstring).

    `via` is the line of the outermost alias being expanded: where a budget is exceeded inside
    an expansion, that line, not the anchor's, is what the reader must look at.
    """

    def __init__(self, loader: _Loader, file: str, limits: Limits, lines: dict[Path_, int]) -> None:
        self.loader = loader
        self.file = file
        self.limits = limits
        self.lines = lines
        self.problems: list[Problem] = []
        self._nodes = 0
        self._alias_nodes = 0

    def build(self, node: yaml.Node, path: Path_, via: int | None) -> Any:
        if isinstance(node, _Alias):
            via = via or _line(node)
            node = node.value
        self._charge(1, node, via)
        if isinstance(node, yaml.CollectionNode):
            if len(path) >= self.limits.max_depth:
                raise YamlFileError(self._over(node, via, depth=True))
            if node.tag not in (_MAP, _SEQ):
                self._problem(path, f"the tag {shown(node.tag)} is not allowed; remove it", node)
                return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, via)
        if isinstance(node, yaml.SequenceNode):
            return [self._item(child, (*path, i), via) for i, child in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            self._problem(path, shown(reason, 300), node)
            return None
        # The safe constructor raises whatever its parsing meets: ValueError for a date
        # 2024-13-45, KeyError for `!!bool maybe`, AttributeError for `!!timestamp x`.
        except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as exc:
            self._problem(path, f"invalid value: {shown(str(exc), 300)}", node)
            return None
        if isinstance(value, bytes):
            self._problem(path, "binary values (!!binary) are not allowed; write text", node)
            return None
        return value

    def _item(self, node: yaml.Node, path: Path_, via: int | None) -> Any:
        self.lines.setdefault(path, _line(node))
        return self.build(node, path, via)

    def _mapping(self, node: yaml.MappingNode, path: Path_, via: int | None) -> dict[str, Any]:
        self._check_duplicates(node, path)
        try:
            merged = self._merged(node, via, 1)
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            self._problem(path, shown(reason, 300), node)
            return {}
        own = [(key_node, value_node, via) for key_node, value_node in _own(node)]
        result: dict[str, Any] = {}
        # Merged keys first, then the mapping's own: a later pair wins, as in PyYAML.
        for key_node, value_node, where in merged + own:
            key = self._key(key_node, path, report=False)
            if key is None:
                continue
            child = (*path, key)
            self.lines[child] = _line(key_node)
            result[key] = self.build(value_node, child, where)
        return result

    def _check_duplicates(self, node: yaml.MappingNode, path: Path_) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in _own(node):
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in seen:
                self.problems.append(
                    Problem(
                        self.file,
                        format_path((*path, key)),
                        f"duplicate key '{key}' on line {_line(key_node)} "
                        f"(first set on line {seen[key]}); keep one",
                        _line(key_node),
                    )
                )
            else:
                seen[key] = _line(key_node)

    def _merged(self, node: yaml.MappingNode, via: int | None, depth: int) -> MergedPairs:
        """The pairs the merge keys of `node` bring in; of two sources, the first one wins."""
        pairs: MergedPairs = []
        for key_node, value_node in node.value:
            if _target(key_node).tag != _MERGE:
                continue
            where = via or _line(value_node)
            source = _target(value_node)
            sources: list[yaml.Node] = []
            if isinstance(source, yaml.MappingNode):
                sources = [source]
            elif isinstance(source, yaml.SequenceNode):
                sources = [_target(item) for item in source.value]
            mappings = [s for s in sources if isinstance(s, yaml.MappingNode)]
            if not sources or len(mappings) != len(sources):
                found_id = getattr(source, "id", "a node")  # every PyYAML node class sets `id`
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"expected a mapping or list of mappings for merging, but found {found_id}",
                    value_node.start_mark,
                )
            for merged in reversed(mappings):  # later sources first, so the first one wins
                if depth >= self.limits.max_depth:
                    raise YamlFileError(self._over(merged, where, depth=True))
                found = self._merged(merged, where, depth + 1)
                found += [(key, value, where) for key, value in _own(merged)]
                self._charge(len(found), merged, where)
                pairs.extend(found)
        return pairs

    def _charge(self, count: int, node: yaml.Node, via: int | None) -> None:
        self._nodes += count
        if via is not None:
            self._alias_nodes += count
        if self._nodes > self.limits.max_nodes or self._alias_nodes > self.limits.max_alias_nodes:
            raise YamlFileError(self._over(node, via, depth=False))

    def _over(self, node: yaml.Node, via: int | None, *, depth: bool) -> Problem:
        what = self.limits.what
        if depth:
            message = (
                f"nested more than {self.limits.max_depth} levels deep once its aliases and "
                f"merge keys are expanded; {what} nests far less, so the file is refused"
            )
        elif via is not None:
            message = (
                f"aliases here expand to more than {self.limits.max_alias_nodes:,} values "
                f"(aliases of aliases); {what} needs far fewer, so the file is refused"
            )
        else:
            message = (
                f"the file holds more than {self.limits.max_nodes:,} values; {what} needs far "
                "fewer, so the file is refused"
            )
        return Problem(self.file, "", message, via or _line(node))

    def _problem(self, path: Path_, message: str, node: yaml.Node) -> None:
        self.problems.append(
            Problem(self.file, format_path(path) or f"line {_line(node)}", message, _line(node))
        )

    def _key(self, node: yaml.Node, path: Path_, report: bool = True) -> str | None:
        node = _target(node)
        if isinstance(node, yaml.ScalarNode) and node.tag in (_STR, _VALUE):
            return str(node.value)
        if report:
            value = shown(node.value) if isinstance(node, yaml.ScalarNode) else "a collection"
            self.problems.append(
                Problem(
                    self.file,
                    format_path(path) or f"line {_line(node)}",
                    f"key {value} is not text; quote it (e.g. '{value}') or rename it",
                    _line(node),
                )
            )
        return None


def _own(node: yaml.MappingNode) -> Pairs:
    """The mapping's own pairs, without its merge keys."""
    return [(k, v) for k, v in node.value if _target(k).tag != _MERGE]
