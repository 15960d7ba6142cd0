"""The HTML report: one self-contained page to open after a run, with its summary, failures, findings and timeline.

The summary, the failures, the findings and the slowest tests are plain HTML, readable with scripts turned
off. The timeline and the table of every test are drawn by the page's own script from the run's data, which
sits in the page as JSON: one short row per test, so that 10,000 tests make a page of about a megabyte.
Nothing is fetched from anywhere: the style sheet and the script are inline (harness.reports.html_assets).
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from json import dumps as _json_dumps  # bound now, as in reporters: a test that replaces json.dumps changes nothing
from typing import Any

from harness.reports.files import FileReporter
from harness.reports.hooks import python_version
from harness.reports.html_assets import SCRIPT, STYLE
from harness.reports.records import OUTCOMES, Outcome, RunPlan, Summary, TestReport
from harness.reports.report_text import TERMINAL_LIMIT, clipped, cut, json_text, size_text, xml_text
from harness.reports.terminal import worker_replay, workers_balance

FULL_LIMIT = 200  # failures shown with their traceback and output; the rest by id and message only
FINDINGS_LIMIT = 500  # tests listed in each findings section
SLOWEST = 20  # tests in the table of the slowest
BIGGEST = 10  # tests in the table of the largest peak memory
MESSAGE_LIMIT = 300  # characters of a test's message in the data for the table
_WORD: dict[Outcome, str] = {
    "passed": "passed", "failed": "failed", "error": "error", "skipped": "skipped",
    "xfailed": "expected failure", "xpassed": "unexpected success",
}
_COUNTED: dict[Outcome, tuple[str, str]] = {
    "passed": ("passed", "passed"), "failed": ("failed", "failed"), "error": ("error", "errors"),
    "skipped": ("skipped", "skipped"), "xfailed": ("expected failure", "expected failures"),
    "xpassed": ("unexpected success", "unexpected successes"),
}
# Flags of a test in the page's data: what the table marks, and where it links.
_LEFT_TASKS, _CHANGED_STATE, _SHOWN_IN_FULL = 1, 2, 4


class HtmlReporter(FileReporter):
    """A page a person opens after a CI run, written when the run ends (however it ends)."""

    kind = "HTML report"
    example = "report.html"

    def __init__(self, path: str, rerun: str = "python -m harness") -> None:
        super().__init__(path)
        self.rerun = rerun  # how the run was started, for the rerun line
        self.plan = RunPlan(seed=0, bucket="module", order=())

    def start_run(self, plan: RunPlan) -> None:
        self.plan = plan

    def render(self, summary: Summary) -> str:
        return page(summary, self.plan, self.rerun)


def page(summary: Summary, plan: RunPlan, rerun: str) -> str:
    """The whole HTML document."""
    failed = [(index, report) for index, report in enumerate(summary.reports) if not report.ok]
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>harness: {_text(summary.line())}</title>\n<style>{STYLE}</style>\n</head>\n",
        '<body data-rendered="no">\n',
        _header(summary, plan, rerun),
        _failures(failed),
        _leftovers(summary.reports),
        _state_changes(summary.reports),
        _slowest(summary.reports),
        _biggest(summary.reports),
        _timeline(),
        _table(),
        _data(summary, {index for index, _ in failed[:FULL_LIMIT]}),
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _text(text: str) -> str:
    """`text` for HTML: markup escaped, and characters a page should not hold (controls, lone surrogates) as escapes."""
    return html.escape(xml_text(text), quote=True)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


# -- the summary ---------------------------------------------------------------------------------------------
def _header(summary: Summary, plan: RunPlan, rerun: str) -> str:
    from harness import __version__

    state = "interrupted" if summary.interrupted else "failed" if summary.failed else "passed"
    forced = f" --backend {plan.backend}" if plan.backend else ""
    facts = [
        ("seed", str(summary.seed)), ("bucket", summary.bucket),
        ("duration", f"{summary.duration:.2f} s"), ("tests", _ran(summary, plan)),
        ("workers", _workers(plan)), ("Python", python_version()), ("harness", __version__),
    ]
    if summary.interrupted:
        facts.append(("interrupted", "yes: the tests after the running ones did not run"))
    rows = "".join(f"<dt>{_text(name)}</dt><dd>{_text(value)}</dd>" for name, value in facts)
    command = f"{rerun} --seed {summary.seed} --bucket {summary.bucket}{forced}"
    return (
        f'<header class="{state}">\n<h1>harness report</h1>\n'
        f'<p id="summary-line" class="summary-line">{_text(summary.line())}</p>\n'
        f"{_counts(summary)}\n<dl id=\"facts\">{rows}</dl>\n"
        f'<p>Rerun this order with: <code id="rerun">{_text(command)}</code></p>\n</header>\n'
    )


def _counts(summary: Summary) -> str:
    badges = [
        f'<span class="badge {outcome}">{_text(_plural(summary.count(outcome), *_COUNTED[outcome]))}</span>'
        for outcome in OUTCOMES if summary.count(outcome)
    ]
    return f'<p class="counts">{" ".join(badges)}</p>'


def _ran(summary: Summary, plan: RunPlan) -> str:
    """How many results, and how many planned tests have none."""
    done = {report.id for report in summary.reports}
    missing = sum(1 for test_id in plan.order if test_id not in done)
    text = _plural(len(summary.reports), "result")
    return text + (f" ({_plural(missing, 'planned test')} did not run)" if missing else "")


def _workers(plan: RunPlan) -> str:
    if plan.jobs <= 1:
        return "1 (serial)"
    replay = worker_replay(plan)
    return f"{len(plan.workers)} (-j {plan.jobs}{workers_balance(plan)}; rerun one worker's tests alone with {replay})"


# -- failures and findings ---------------------------------------------------------------------------------
def _failures(failed: Sequence[tuple[int, TestReport]]) -> str:
    if not failed:
        return '<section id="failures"><h2>Failures</h2><p class="none">No test failed.</p></section>\n'
    shown = "".join(_failure(index, report) for index, report in failed[:FULL_LIMIT])
    rest = failed[FULL_LIMIT:]
    more = ""
    if rest:
        items = "".join(f"<li>{_outcome(r.outcome)} <span class=\"id\">{_text(r.id)}</span>: "
                        f"{_text(cut(r.message, MESSAGE_LIMIT))}</li>" for _, r in rest)
        more = (f"<p>{_plural(len(rest), 'more failure')}, by message only (the JSON report, --json, has their "
                f"tracebacks):</p><ul class=\"more\">{items}</ul>")
    return f'<section id="failures"><h2>Failures ({len(failed):,})</h2>\n{shown}{more}</section>\n'


def _failure(index: int, report: TestReport) -> str:
    report = clipped(report, TERMINAL_LIMIT)
    parts = [f'<details class="failure" id="r{index}" open><summary>{_outcome(report.outcome)} '
             f'<span class="id">{_text(report.id)}</span></summary>\n'
             f'<pre class="traceback">{_text((report.longrepr or report.message).rstrip())}</pre>\n']
    for name, text in (("stdout", report.stdout), ("stderr", report.stderr)):
        if text:
            parts.append(f'<p class="label">captured {name}</p><pre class="{name}">{_text(text.rstrip())}</pre>\n')
    return "".join(parts) + "</details>\n"


def _outcome(outcome: Outcome) -> str:
    return f'<span class="badge {outcome}">{_text(_WORD[outcome])}</span>'


def _leftovers(reports: Sequence[TestReport]) -> str:
    marked = [r for r in reports if r.findings.left_behind or r.findings.unhandled_errors]
    items = [
        _finding(report, [f"residual {task.describe()}" for task in report.findings.residual_tasks]
                 + [f"pending {callback.describe()}" for callback in report.findings.pending_callbacks]
                 + [f"unhandled error: {error}" for error in report.findings.unhandled_errors])
        for report in marked[:FINDINGS_LIMIT]
    ]
    title = ("Tests that left tasks running or callbacks pending, or raised unhandled errors"
             if any(r.findings.pending_callbacks for r in marked) else
             "Tests that left tasks running or raised unhandled errors")
    return _findings_section("leftovers", title, marked, items)


def _state_changes(reports: Sequence[TestReport]) -> str:
    marked = [r for r in reports if r.findings.state_changes]
    items = [
        _finding(report, [f"{c.detail} ({c.probe}; {'restored' if c.restored else 'not restored'})"
                          for c in report.findings.state_changes])
        for report in marked[:FINDINGS_LIMIT]
    ]
    return _findings_section("state-changes", "Tests that changed global state", marked, items)


def _finding(report: TestReport, lines: Iterable[str]) -> str:
    details = "".join(f"<li>{_text(line)}</li>" for line in lines)
    return f'<li><span class="id">{_text(report.id)}</span> {_outcome(report.outcome)}<ul>{details}</ul></li>\n'


def _findings_section(anchor: str, title: str, marked: Sequence[TestReport], items: Sequence[str]) -> str:
    if not marked:
        return f'<section id="{anchor}"><h2>{title}</h2><p class="none">None.</p></section>\n'
    more = len(marked) - len(items)
    note = f"<p>and {_plural(more, 'more test')}: the JSON report (--json) lists them all.</p>" if more else ""
    return (f'<section id="{anchor}"><h2>{title} ({len(marked):,})</h2>\n'
            f'<ul class="findings">{"".join(items)}</ul>{note}</section>\n')


# -- the slowest tests, the timeline, the table ------------------------------------------------------------------
def _slowest(reports: Sequence[TestReport]) -> str:
    if not reports:
        return '<section id="slowest"><h2>The slowest tests</h2><p class="none">No test has a result.</p></section>\n'
    slowest = sorted(reports, key=lambda r: r.duration, reverse=True)[:SLOWEST]
    rows = "".join(
        f"<tr><td class=\"num\">{r.duration:.3f} s</td><td>{_outcome(r.outcome)}</td>"
        f"<td class=\"num\">{r.worker or '-'}</td><td class=\"id\">{_text(r.id)}</td></tr>"
        for r in slowest
    )
    return (f'<section id="slowest"><h2>The {_plural(len(slowest), "slowest test")}</h2>\n<table>'
            f"<thead><tr><th>duration</th><th>outcome</th><th>worker</th><th>test</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>\n")


def _biggest(reports: Sequence[TestReport]) -> str:
    """The tests whose worker held the most memory while they ran; nothing when no peak was measured."""
    measured = sorted((r for r in reports if r.peak_memory), key=lambda r: r.peak_memory, reverse=True)[:BIGGEST]
    if not measured:
        return ""
    rows = "".join(
        f"<tr><td class=\"num\">{size_text(r.peak_memory)}</td><td>{_outcome(r.outcome)}</td>"
        f"<td class=\"num\">{r.worker or '-'}</td><td class=\"id\">{_text(r.id)}</td></tr>"
        for r in measured
    )
    return (f'<section id="memory"><h2>The {_plural(len(measured), "test")} with the largest peak memory</h2>\n'
            "<p>The most memory resident in the worker while each test ran.</p>\n<table>"
            f"<thead><tr><th>peak memory</th><th>outcome</th><th>worker</th><th>test</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>\n")


def _timeline() -> str:
    legend = " ".join(f'<span class="badge {o}">{_text(_WORD[o])}</span>' for o in OUTCOMES)
    return (
        '<section id="timeline-section"><h2>Timeline</h2>\n'
        "<p>One lane per worker, one bar per test, from its start to its end. A dark top edge marks a test that "
        "left tasks running or changed global state. Point at a bar for its test; click it to find it in the "
        f"table.</p>\n<p class=\"legend\">{legend}</p>\n"
        '<p><label>zoom <select id="zoom"><option>1</option><option>2</option><option>5</option>'
        "<option>10</option><option>20</option></select></label></p>\n"
        '<div id="timeline-frame"><canvas id="timeline" data-bars="0"></canvas></div>\n'
        '<div id="tip" hidden></div>\n'
        "<noscript><p>The timeline and the table of every test need JavaScript; the rest of this page does not. "
        "The JSON report (--json) has every test too.</p></noscript>\n</section>\n"
    )


def _table() -> str:
    options = "".join(f'<option value="{o}">{_text(_WORD[o])}</option>' for o in OUTCOMES)
    return (
        '<section id="tests"><h2>Every test</h2>\n<p class="controls">'
        '<label>filter <input id="filter" type="search" placeholder="part of a test id or message"></label> '
        '<label>outcome <select id="outcome"><option value="">any</option><option value="!ok">failed or error'
        f"</option>{options}</select></label> "
        '<label>sort <select id="sort"><option value="order">as the results came</option>'
        '<option value="slowest">slowest first</option><option value="start">by start</option>'
        '<option value="id">by id</option></select></label></p>\n'
        '<p id="page-info"></p><p><button id="previous" type="button">previous</button> '
        '<button id="next" type="button">next</button></p>\n'
        '<table id="test-table"><thead><tr><th>outcome</th><th>duration</th><th>start</th><th>worker</th>'
        "<th>test</th><th>message</th></tr></thead><tbody></tbody></table>\n</section>\n"
    )


# -- the data the script draws from -------------------------------------------------------------------------
def data(summary: Summary, shown_in_full: set[int]) -> dict[str, Any]:
    """The page's data: the outcomes' names, the run's length, and per test [id, outcome, duration, start,
    worker, flags, message], in the order the results came."""
    end = max([summary.duration, *(r.started + r.duration for r in summary.reports)])
    return {
        "outcomes": list(OUTCOMES),
        "duration": round(end, 6),
        "tests": [_row(index, report, shown_in_full) for index, report in enumerate(summary.reports)],
    }


def _row(index: int, report: TestReport, shown_in_full: set[int]) -> list[Any]:
    flags = (
        (_LEFT_TASKS if report.findings.left_behind or report.findings.unhandled_errors else 0)
        | (_CHANGED_STATE if report.findings.state_changes else 0)
        | (_SHOWN_IN_FULL if index in shown_in_full else 0)
    )
    return [report.id, OUTCOMES.index(report.outcome), round(report.duration, 6), round(report.started, 6),
            report.worker, flags, cut(report.message, MESSAGE_LIMIT)]


def _data(summary: Summary, shown_in_full: set[int]) -> str:
    return f'<script type="application/json" id="harness-data">{script_json(data(summary, shown_in_full))}</script>\n'


def script_json(document: Any) -> str:
    """`document` as JSON that is safe inside a <script> element: no `<`, `>` or `&` that could end it early."""
    text = json_text(_json_dumps(document, ensure_ascii=False, separators=(",", ":")))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
