"""Custom rules in CEL (cel-python), imported only when a policy has a custom rule.

As in Kubernetes ValidatingAdmissionPolicy, the expression is the pass condition: true complies,
false fails. The expression reads one variable, `notebook`, the normalised document of
`reconcile._policy.document`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CelError", "CelUnavailable", "Compiled", "compile_expression", "evaluate"]

Compiled = Any  # a celpy Runner


class CelError(Exception):
    """An expression that does not compile, or fails when evaluated; `str()` is one line."""


class CelUnavailable(CelError):
    """cel-python is not installed."""


def _celpy() -> Any:
    try:
        import celpy  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise CelUnavailable(
            "custom rules need cel-python: pip install 'modelarts-reconcile[policy]'"
        ) from None
    return celpy


def _one_line(exc: BaseException) -> str:
    # celpy's evaluation errors carry (message, exception type, extra): the message is what helps
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) and len(exc.args) > 1 else str(exc)
    text = " ".join(first.split())
    return text[:300] + ("..." if len(text) > 300 else "")


def compile_expression(expression: str) -> Compiled:
    """Compile a CEL expression.

    Raises:
        CelError: the expression does not parse (the message says where), or cel-python is missing.
    """
    celpy = _celpy()
    env = celpy.Environment()
    try:
        ast = env.compile(expression)
        return env.program(ast)
    except Exception as exc:  # celpy raises its own CELParseError and lark errors
        raise CelError(_one_line(exc)) from None


def activation(document: dict[str, Any]) -> Any:
    """The CEL variables for one notebook document: convert once, evaluate every rule on it."""
    return {"notebook": _celpy().json_to_cel(document)}


def evaluate(program: Compiled, document: dict[str, Any], variables: Any = None) -> bool:
    """Evaluate a compiled expression on one notebook document.

    Raises:
        CelError: the evaluation failed (a missing field read without `has()`, a type error) or gave
            something other than a bool.
    """
    celpy = _celpy()
    try:
        result = program.evaluate(variables if variables is not None else activation(document))
    except Exception as exc:
        raise CelError(_one_line(exc)) from None
    if isinstance(result, Exception):
        raise CelError(_one_line(result))
    if not isinstance(result, celpy.celtypes.BoolType | bool):  # BoolType subclasses int, not bool
        raise CelError(f"the expression gave {type(result).__name__}, expected a bool")
    return bool(result)
