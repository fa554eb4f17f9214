"""`scopeplan catalogue fetch|show|diff`: the live catalogue on the command line.

A thin click layer: flags in, one call into fetch/cache/compare, text out. Failures are
`CatalogueError`s, which the `scopeplan` group turns into one line on stderr and exit 3.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scopeplan.catalogue.target import DATA_CENTRES, ENVIRONMENTS, VERSION
from scopeplan.catalogue.load import CatalogueError


@click.group()
def catalogue() -> None:
    """Fetch your org's __apis catalogue from Zoho, summarise a catalogue, or compare two."""


def _filter(ctx, param, value):
    from scopeplan.catalogue.target import Filter

    try:
        return Filter.parse(value) if value is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _version(ctx, param, value):
    if not VERSION.match(value):
        raise click.BadParameter(f"expected v2, v2.1, v3 ... v8, got {value!r}")
    return value


@catalogue.command()
@click.option("--dc", type=click.Choice(list(DATA_CENTRES)), default="us", show_default=True,
              help="Zoho data centre: picks the accounts server and API domain.")
@click.option("--environment", type=click.Choice(list(ENVIRONMENTS)), default="production", show_default=True)
@click.option("--api-version", "version", default="v8", show_default=True, metavar="vN", callback=_version)
@click.option("--filter", "filter_", metavar="module=M|scope=S|method=M", callback=_filter,
              help="One Zoho `filters` criterion. A filtered catalogue is partial: it is written to --output "
                   "(or stdout), never cached.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write Zoho's unchanged payload to this file (for --catalogue FILE).")
@click.option("--accounts-url", metavar="URL", help="Accounts server to refresh the token at (overrides --dc).")
@click.option("--api-domain", metavar="URL", help="API server to call (overrides --dc and the token's api_domain).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Seconds per request, for the whole answer (not each read).")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Seconds for the whole fetch: token refresh, __apis, every retry and wait.")
@click.option("--retries", type=click.IntRange(min=0, max=10), default=2, show_default=True,
              help="Retries on network errors, HTTP 429 and 5xx.")
@click.option("--backoff", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Seconds before the first retry; doubles each time (Retry-After wins when Zoho sends it).")
def fetch(dc, environment, version, filter_, output, accounts_url, api_domain, timeout, deadline, retries,
          backoff) -> None:
    """Fetch GET /crm/VERSION/__apis with OAuth and cache it for `--catalogue live`.

    \b
    Credentials come from the environment only: ZOHO_ACCESS_TOKEN, or
    ZOHO_CLIENT_ID + ZOHO_CLIENT_SECRET + ZOHO_REFRESH_TOKEN (the refresh grant
    runs against the data centre's accounts server). The token needs ZohoCRM.apis.READ.
    """
    from scopeplan.catalogue import cache
    from scopeplan.catalogue import target as wanted
    from scopeplan.catalogue import fetch as fetching
    from scopeplan.catalogue.watch import Progress

    target = wanted.Target(dc, environment, version, accounts_url, api_domain)
    policy = wanted.RetryPolicy(timeout=timeout, attempts=retries + 1, backoff=backoff, deadline=deadline)
    got = fetching.fetch(target, wanted.Credentials.from_env(os.environ), filter=filter_, policy=policy,
                         progress=Progress(sys.stderr))
    cat = got.catalogue
    what = f"{len(cat.endpoints)} paths ({cat.api_version}, {cat.digest[:19]}) from {got.url}"
    if filter_ is not None and output is None:
        click.echo(got.payload, nl=False)
        click.echo(f"fetched {what} with filter {filter_}; not cached (partial)", err=True)
        return
    try:
        if filter_ is None:
            entry = cache.save(got, target)
            click.echo(f"fetched {what}\ncached as {entry.key} in {entry.payload}")
        if output is not None:
            cache.write_atomic(output, got.payload)
            click.echo(f"wrote {output}" + (f" (filter {filter_}; not cached)" if filter_ else ""))
    except OSError as exc:
        raise CatalogueError(f"cannot write {exc.filename or output}: {exc.strerror}") from None


def _emit(text: str, output: Path | None) -> None:
    """Print, or write atomically to --output."""
    if output is None:
        click.echo(text, nl=False)
        return
    from scopeplan.catalogue import cache

    try:
        cache.write_atomic(output, text.encode("utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot write {exc.filename or output}: {exc.strerror}") from None


def _json(data: dict) -> str:
    import json

    return json.dumps(data, indent=2, sort_keys=True) + "\n"


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
OUTPUT = click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                      help="Write the result to this file (atomically) instead of stdout.")


@catalogue.command()
@click.argument("src", default="bundled", metavar="[SRC]")
@click.option("--endpoint", metavar="'[METHOD] PATH'",
              help="Show one endpoint: its scope, credits, documented conjunctions and their pages. PATH is a template "
                   "(/crm/v8/Deals/{{id}}/Attachments, <<id>> too) or a path a call would use (/crm/v8/Deals/1/Attachments).")
@FORMAT
@OUTPUT
def show(src: str, endpoint: str | None, fmt: str, output: Path | None) -> None:
    """Summarise a catalogue: paths, scope families, credit ranges, derived or live; or one endpoint.

    SRC is bundled (default), live, live:DC[-ENVIRONMENT[-VERSION]], live:sha256:DIGEST or a file.
    """
    from scopeplan.catalogue import compare
    from scopeplan.catalogue.load import load

    cat = load(src)
    if endpoint is None:
        summary = compare.summarise(cat)
        _emit(_json(compare.summary_dict(summary)) if fmt == "json" else compare.render_summary(summary), output)
        return
    view = compare.find_endpoint(cat, endpoint)
    if view is None:
        raise click.UsageError(f"no endpoint in {src} for {endpoint!r}")
    _emit(_json(compare.endpoint_dict(view)) if fmt == "json" else compare.render_endpoint(view), output)


@catalogue.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@FORMAT
@OUTPUT
def diff(old: str, new: str, fmt: str, output: Path | None) -> None:
    """List endpoints added and removed and operations whose scope or credits changed, OLD to NEW.

    OLD and NEW are each bundled, live, live:DC[-ENVIRONMENT[-VERSION]], live:sha256:DIGEST or a file.
    Exits 1 when the catalogues differ, 0 when they are the same (like diff).
    """
    from scopeplan.catalogue import compare
    from scopeplan.catalogue.load import load

    result = compare.diff(load(old), load(new))
    text = _json(compare.diff_dict(result, old, new)) if fmt == "json" else compare.render_diff(result, old, new)
    _emit(text, output)
    if not result.same:
        raise SystemExit(1)
