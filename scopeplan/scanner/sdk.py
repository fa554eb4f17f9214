"""Calls through the official Zoho CRM Python SDKs become the REST calls they make."""

from __future__ import annotations

from scopeplan.model import CallSite
from scopeplan.scanner.facts import FileFacts, Invoke
from scopeplan.scanner.resolve import EMPTY, Ctx, Project


def is_sdk_call(project: Project, invoke: Invoke) -> bool:
    """Whether the invoke may be a method of an official SDK operations class."""
    return False


def sdk_sites(project: Project, facts: FileFacts, invoke: Invoke, ctx: Ctx = EMPTY, at: Invoke | None = None,
              at_file: str | None = None, trace: tuple = ()) -> list[CallSite]:
    """The call sites an SDK call makes, including the implicit ones (not recognised yet)."""
    return []
