"""Griffe extension: Sphinx cross-reference roles in lqrppg docstrings, as Markdown.

The docstrings are numpydoc and use Sphinx roles (``:func:`estimate_hr```,
``:class:`~lqrppg.exceptions.EstimationWarning```, ``:meth:`predict```), which Markdown
would print as they are. This extension, loaded by mkdocstrings (``extensions:`` in
``mkdocs.yml``), rewrites each role before rendering:

- into a cross-reference ``[`name`][lqrppg.module.name]`` when its target is an object
  the API reference renders (a name in the ``__all__`` of a public subpackage, or a
  public method of such a class, inherited ones included);
- into plain code ``` `name` ``` otherwise (private helpers, NumPy, torch, scikit-learn),
  so that a link can never point at a page that does not exist.

Names are looked up as Sphinx would: relative names in the scope of the documented object
(its class, its module and the module's imports), dotted names from the package root.
Only the rendering changes; the source docstrings are not touched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_PACKAGE = "lqrppg"
# Subpackages that have a page in the API reference (docs/api/*.md).
_PUBLIC_MODULES = (
    "signal",
    "metrics",
    "baselines",
    "datasets",
    "video",
    "nn",
    "quantization",
    "models",
    "plotting",
    "exceptions",
)
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|obj|exc|data|const):`(?P<target>[^`]+)`")


def _final(obj: Any, collection: Any) -> Any:
    """Follow aliases to the object they point at (None where it is not loaded)."""
    seen = 0
    while obj is not None and obj.is_alias and seen < 20:
        try:
            obj = collection[obj.target_path]
        except KeyError:
            return None
        seen += 1
    return obj


def _member(obj: Any, name: str, collection: Any) -> Any:
    """Member ``name`` of ``obj`` (inherited ones included for classes), aliases followed."""
    obj = _final(obj, collection)
    if obj is None:
        return None
    members = obj.all_members if obj.is_class else obj.members
    return _final(members.get(name), collection)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in docstrings into Markdown cross-references or code."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != _PACKAGE:
            return
        self._collection = loader.modules_collection
        self._public = self._public_paths(pkg)
        for obj in self._walk(pkg, set()):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = _ROLE.sub(
                    lambda m, o=obj: self._replace(m.group("target"), o), obj.docstring.value
                )

    # -------------------------------------------------------------- what is rendered

    def _public_paths(self, pkg: griffe.Module) -> dict[str, str]:
        """Canonical path -> the path under which the API reference renders it."""
        public: dict[str, str] = {pkg.path: pkg.path}
        for sub in _PUBLIC_MODULES:
            module = pkg.members.get(sub)
            if module is None:
                continue
            public[module.path] = module.path
            for name in module.exports or ():
                if not isinstance(name, str):
                    continue
                target = _final(module.members.get(name), self._collection)
                if target is None or not target.has_docstrings:
                    continue  # objects without a docstring are not rendered
                public.setdefault(target.path, f"{module.path}.{name}")
        return public

    def _walk(self, obj: Any, seen: set[str]):
        if obj.path in seen:
            return
        seen.add(obj.path)
        yield obj
        for member in obj.members.values():
            if not member.is_alias:
                yield from self._walk(member, seen)

    # -------------------------------------------------------------- resolution

    def _resolve(self, target: str, context: Any) -> tuple[Any, Any] | None:
        """(object, enclosing public class or None) that ``target`` names from ``context``."""
        first, *rest = target.split(".")
        start = None
        owner = None
        scope = context
        while scope is not None and start is None:
            if scope.is_class or scope.is_module:
                start = _member(scope, first, self._collection)
                if start is not None and scope.is_class:
                    owner = scope
                if start is None and scope.is_module and first in scope.imports:
                    try:
                        start = _final(self._collection[scope.imports[first]], self._collection)
                    except KeyError:
                        start = None
            scope = scope.parent
        if start is None:
            try:
                start = _final(self._collection[first], self._collection)
            except KeyError:
                return None
        obj = start
        for name in rest:
            if obj is None:
                return None
            if obj.is_class:
                owner = obj
            obj = _member(obj, name, self._collection)
        if obj is None:
            return None
        return obj, (owner if obj.parent is not None and obj.parent.is_class else None)

    def _link(self, obj: Any, owner: Any) -> str | None:
        """Identifier of ``obj`` in the API reference, or None where it is not rendered."""
        if obj.path in self._public:
            return self._public[obj.path]
        parent = obj.parent
        if parent is None or not parent.is_class or obj.name.startswith("_"):
            return None
        if not obj.docstring:  # members without a docstring are not rendered
            return None
        for cls in (owner, parent):
            if cls is not None and cls.path in self._public:
                return f"{self._public[cls.path]}.{obj.name}"
        return None

    def _replace(self, target: str, context: Any) -> str:
        target = target.strip()
        short = target.startswith("~")
        path = target.lstrip("~.").removesuffix("()")
        shown = path.rsplit(".", 1)[-1] if short else path
        try:
            found = self._resolve(path, context)
        except Exception:  # a name griffe cannot look up is shown as code, not a build error
            found = None
        identifier = None if found is None else self._link(*found)
        if identifier is None:
            return f"`{shown}`"
        return f"[`{shown}`][{identifier}]"
