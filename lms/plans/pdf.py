"""The action plan on one page: A4 landscape, DejaVu Sans as on certificates (lms.util.pdf).

The page holds the identity, the needs with their evidence, the goals, the activities as a table
(strategy, target group, partners, budget and source, schedule, indicator and target), the risks,
and the review status. Long texts wrap, and when the plan does not fit the page the layout
tightens step by step (fewer lines per text, then a smaller font, then fewer rows); whatever is
cut ends in an ellipsis and the page says so, pointing to the XLSX, which holds every word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babel.numbers import format_decimal
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.plans.models import PlanReview
from lms.util.pdf import BRAND, INK, MUTED, add_fonts
from lms.util.pdf import bold as bold_text
from lms.plans.forms import SOURCE_LABELS, STATUS_LABELS, STRATEGY_LABELS
from lms.util import utcnow
from lms.util.formatting import babel_locale

WIDTH, HEIGHT = 297.0, 210.0
MARGIN = 10.0
CONTENT_W = WIDTH - 2 * MARGIN
BOTTOM = HEIGHT - 14.0  # the footer's line sits below
ELLIPSIS = "…"
RULE = (200, 208, 216)
SHADE = (236, 242, 248)
_SPACES = re.compile(r"[ \t\r\n]+")  # where lines may break (not at a no-break space)
_WIDTHS: dict[tuple[float, str], float] = {}  # (font size, text) -> mm: DejaVu metrics, cached per process

# Tried in order until the plan fits: (font size in pt, most lines for one text).
STEPS = [(10, 6), (9.5, 6), (9, 6), (8.5, 6), (8.5, 4), (8, 3), (7.5, 3), (7.5, 2), (7, 2), (6.5, 2), (6.5, 1)]


@dataclass
class PlanDocument:
    """What the page shows, already in the page's language."""

    title: str
    library: str
    facts: list[tuple[str, str]]  # (label, value) under the library's name
    needs: list[tuple[str, str]]  # (need, evidence)
    general_goal: str
    goals: list[str]
    activities: list[dict[str, str]]  # cells by column key, already formatted
    budget_total: str
    risks: str
    status: str
    printed: str
    labels: dict[str, str] = field(default_factory=dict)


def _one_line(text: str) -> str:
    """Lines of a text field joined into one paragraph (the page has no room for line breaks)."""
    parts = [p.strip() for p in (text or "").splitlines() if p.strip()]
    out = ""
    for part in parts:
        if out:
            out += " " if out[-1] in ".,;:!?" else "; "
        out += part
    return out


def rupiah(value: int | None) -> str:
    """Rp 1.500.000 (a no-break space: the amount never wraps apart from its currency)."""
    return "" if value is None else f"Rp\u00a0{format_decimal(value, format='#,##0', locale=babel_locale())}"


def document(plan, trainee, cohort, course, reviewer: str | None) -> PlanDocument:
    """The plan's current content, formatted for the page."""
    month = lambda value: format_date(value, "MMM yyyy") if value else ""  # noqa: E731
    period = " – ".join(p for p in (month(plan.period_from), month(plan.period_to)) if p)
    status = str(STATUS_LABELS.get(plan.status, plan.status))
    if plan.status == "approved" and plan.approved_at:
        status = _("Approved on %(date)s by %(name)s", date=format_date(plan.approved_at, "d MMMM yyyy"),
                   name=reviewer or "–")
    facts = [(_("Trainee"), trainee.full_name)]
    if trainee.regency:
        facts.append((_("Regency/city"), trainee.regency))
    facts += [(_("Cohort"), cohort.name), (_("Period"), period or "–"), (_("Team"), _one_line(plan.team) or "–")]
    activities = []
    for number, a in enumerate(plan.activities, start=1):
        schedule = " – ".join(dict.fromkeys(p for p in (month(a.starts_on), month(a.ends_on)) if p))
        activities.append({
            "no": str(number), "title": _one_line(a.title),
            "strategy": ", ".join(str(STRATEGY_LABELS.get(s, s)) for s in a.strategy_list),
            "target_group": _one_line(a.target_group), "partners": _one_line(a.partners),
            "budget": rupiah(a.budget), "source": str(SOURCE_LABELS.get(a.budget_source, a.budget_source or "")),
            "schedule": schedule,
            "indicator": " · ".join(p for p in (_one_line(a.indicator), _one_line(a.target)) if p)})
    total = sum(a.budget or 0 for a in plan.activities)
    return PlanDocument(
        title=_("Library transformation activity plan (RTL)"), library=plan.library or "–", facts=facts,
        needs=[(_one_line(n.need), _one_line(n.evidence)) for n in plan.needs],
        general_goal=_one_line(plan.general_goal), goals=[_one_line(g.text) for g in plan.goals],
        activities=activities, budget_total=rupiah(total) if total else "", risks=_one_line(plan.risks),
        status=status, printed=_("%(course)s · printed on %(date)s", course=course.title,
                                 date=format_date(utcnow(), "d MMMM yyyy")),
        labels={"needs": _("Community needs"), "evidence": _("Evidence"), "goals": _("Goals"),
                "general_goal": _("General goal"), "activities": _("Activities"), "risks": _("Risks"),
                "no": _("No."), "title": _("Activity"), "strategy": _("TPBIS strategy"),
                "target_group": _("Target group"), "partners": _("Partners"), "budget": _("Budget"),
                "source": _("Source of funds"), "schedule": _("Schedule"),
                "indicator": _("Indicator and target"), "total": _("Total budget"),
                "cut": _("Some texts are cut short (…): see the full version in the XLSX."),
                "more_rows": _("and %(number)s more (see the XLSX)")})


# Activity table: (key, width in mm); the widths add up to CONTENT_W.
COLUMNS = [("no", 9), ("title", 47), ("strategy", 28), ("target_group", 30), ("partners", 36), ("budget", 28),
           ("source", 27), ("schedule", 24), ("indicator", 48)]
assert abs(sum(w for _k, w in COLUMNS) - CONTENT_W) < 0.01


class _Page:
    """Writes (or only measures, when draw is False) the plan at one font size and line cap."""

    def __init__(self, pdf: FPDF, doc: PlanDocument, size: float, cap: int, draw: bool) -> None:
        self.pdf, self.doc, self.size, self.cap, self.draw = pdf, doc, size, cap, draw
        self.lh = size * 0.43  # line height in mm
        self.cut = False

    # -- text ---------------------------------------------------------------------------------------
    def width_of(self, text: str) -> float:
        """The text's width at the current size; words are measured once per size (fpdf2's own
        measure is slow), a text is the sum of its words and spaces (no kerning)."""
        key = (self.pdf.font_size_pt, text)
        if key not in _WIDTHS:
            if len(_WIDTHS) > 50_000:
                _WIDTHS.clear()
            _WIDTHS[key] = self.pdf.get_string_width(text)
        return _WIDTHS[key]

    def _prefix(self, word: str, room: float) -> int:
        """How many characters of the word fit in room (at least one)."""
        used, count = 0.0, 0
        for char in word:
            used += self.width_of(char)
            if used > room:
                break
            count += 1
        return max(count, 1)

    def lines(self, text: str, width: float, cap: int | None = None) -> list[str]:
        """The text wrapped to width (words longer than the width are split), at most cap lines;
        a cut text ends in an ellipsis."""
        cap = cap or self.cap
        width -= 0.5
        space = self.width_of(" ")
        out: list[str] = []
        current, current_w = "", 0.0
        for word in _SPACES.split(text.strip()):
            if not word:
                continue
            if len(out) > cap:
                break
            word_w = self.width_of(word)
            while word_w > width:  # a long word or address: split it by characters
                room = width - (current_w + space if current else 0.0)
                if current and room < width / 3:
                    out.append(current)
                    current, current_w = "", 0.0
                    continue
                head = word[:self._prefix(word, room)]
                out.append(f"{current} {head}" if current else head)
                current, current_w = "", 0.0
                word = word[len(head):]
                word_w = self.width_of(word)
            if current and current_w + space + word_w > width:
                out.append(current)
                current, current_w = word, word_w
            elif current:
                current, current_w = f"{current} {word}", current_w + space + word_w
            else:
                current, current_w = word, word_w
        if current:
            out.append(current)
        if len(out) > cap:
            self.cut = True
            out = out[:cap]
            last = out[-1]
            room = width - self.width_of(ELLIPSIS)
            last = last[:self._prefix(last, room)] if self.width_of(last) > room else last
            out[-1] = last.rstrip(" ,;:.") + ELLIPSIS
        return out

    def write(self, x: float, y: float, width: float, text: str, *, cap: int | None = None,
              color=INK, size: float | None = None, bold: bool = False) -> float:
        """Wrapped text at (x, y); returns the y below it."""
        pdf = self.pdf
        pdf.set_font_size(size or self.size)
        rows = self.lines(text, width, cap)
        lh = (size or self.size) * 0.43
        if self.draw:
            pdf.set_text_color(*color)
            for row in rows:
                pdf.set_xy(x, y)
                if bold:
                    pdf.set_draw_color(*color)
                    with bold_text(pdf):
                        pdf.cell(width, lh, row)
                else:
                    pdf.cell(width, lh, row)
                y += lh
            pdf.set_font_size(self.size)
            return y
        pdf.set_font_size(self.size)
        return y + lh * len(rows)

    def heading(self, x: float, y: float, width: float, text: str) -> float:
        size = self.size + 1
        if self.draw:
            self.pdf.set_draw_color(*BRAND)
            self.pdf.set_line_width(0.3)
            self.pdf.line(x, y + size * 0.45 + 0.6, x + width, y + size * 0.45 + 0.6)
        return self.write(x, y, width, text.upper(), cap=1, color=BRAND, size=size, bold=True) + 1.6

    # -- the page -----------------------------------------------------------------------------------
    def render(self, max_activities: int | None = None) -> float:
        """Lay out the page; returns the y below the last block (compare with BOTTOM)."""
        doc, pdf = self.doc, self.pdf
        x = MARGIN
        y = MARGIN
        if self.draw:
            pdf.set_fill_color(*BRAND)
            pdf.rect(0, 0, WIDTH, 3, style="F")
        y = self.write(x, y, CONTENT_W, doc.title.upper(), cap=1, color=MUTED, size=self.size)
        y = self.write(x, y + 0.5, CONTENT_W, doc.library, cap=2, color=BRAND, size=self.size + 6, bold=True) + 0.5
        facts = "   ·   ".join(f"{label}: {value}" for label, value in doc.facts)
        y = self.write(x, y, CONTENT_W, facts, cap=2)
        y = self.write(x, y, CONTENT_W, doc.status, cap=1, color=MUTED) + 2.5

        # Needs (left) and goals (right), side by side.
        gap = 8.0
        half = (CONTENT_W - gap) / 2
        left_y = self.heading(x, y, half, doc.labels["needs"])
        for number, (need, evidence) in enumerate(doc.needs, start=1):
            left_y = self.write(x, left_y, 5, f"{number}.", cap=1)  - self.lh
            left_y = self.write(x + 5, left_y, half - 5, need or "–")
            if evidence:
                left_y = self.write(x + 5, left_y, half - 5, f"{doc.labels['evidence']}: {evidence}", color=MUTED)
            left_y += 1
        right_x = x + half + gap
        right_y = self.heading(right_x, y, half, doc.labels["goals"])
        right_y = self.write(right_x, right_y, half, f"{doc.labels['general_goal']}: {doc.general_goal or '–'}") + 1
        for number, goal in enumerate(doc.goals, start=1):
            right_y = self.write(right_x, right_y, 8, f"T{number}", cap=1, color=BRAND, bold=True) - self.lh
            right_y = self.write(right_x + 8, right_y, half - 8, goal or "–") + 0.6
        y = max(left_y, right_y) + 2

        # Activities.
        y = self.heading(x, y, CONTENT_W, doc.labels["activities"])
        y = self.table_row(y, {key: doc.labels[key] for key, _w in COLUMNS}, header=True)
        shown = doc.activities if max_activities is None else doc.activities[:max_activities]
        for index, row in enumerate(shown):
            y = self.table_row(y, row, shaded=index % 2 == 1)
        hidden = len(doc.activities) - len(shown)
        if hidden:
            self.cut = True
            y = self.write(x + COLUMNS[0][1], y + 0.5, CONTENT_W, doc.labels["more_rows"] % {"number": hidden},
                           cap=1, color=MUTED)
        if doc.budget_total:
            offset = sum(w for key, w in COLUMNS[:5])
            y = self.write(x + offset - 40, y + 0.8, 40 - 1, doc.labels["total"], cap=1, bold=True)
            y = self.write(x + offset, y - self.lh, COLUMNS[5][1], doc.budget_total, cap=1, bold=True)
        y += 2

        if doc.risks:
            y = self.heading(x, y, CONTENT_W, doc.labels["risks"])
            y = self.write(x, y, CONTENT_W, doc.risks)
        return y

    def table_row(self, y: float, cells: dict[str, str], header: bool = False, shaded: bool = False) -> float:
        pdf = self.pdf
        wrapped = []
        for key, width in COLUMNS:
            wrapped.append(self.lines(cells.get(key, "") or ("" if header else "–"), width - 1.6,
                                      cap=3 if header else None))
        height = max(len(lines) for lines in wrapped) * self.lh + 1.4
        if self.draw:
            if header or shaded:
                pdf.set_fill_color(*(SHADE if shaded else BRAND))
                pdf.rect(MARGIN, y, CONTENT_W, height, style="F")
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.2)
            pdf.line(MARGIN, y + height, MARGIN + CONTENT_W, y + height)
            x = MARGIN
            pdf.set_text_color(*((255, 255, 255) if header else INK))
            for (key, width), lines in zip(COLUMNS, wrapped):
                for n, line in enumerate(lines):
                    pdf.set_xy(x + 0.8, y + 0.7 + n * self.lh)
                    pdf.cell(width - 1.6, self.lh, line, align="R" if key == "budget" and not header else "L")
                x += width
        return y + height


def render_plan(doc: PlanDocument, *, author: str = "", fallback_fonts: list[str] | None = None) -> bytes:
    """The plan on one A4 landscape page, as PDF bytes."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"{doc.title}: {doc.library}")
    pdf.set_author(author)
    pdf.set_creator("Bimtek LMS")
    texts = [doc.library, doc.general_goal, doc.risks, *[v for _l, v in doc.facts], *[t for pair in doc.needs for t in pair],
             *doc.goals, *[v for row in doc.activities for v in row.values()]]
    add_fonts(pdf, "Plan", texts, fallback_fonts)
    pdf.set_font("Plan", size=8)

    chosen: tuple[float, int, int | None] | None = None
    for size, cap in STEPS:
        pdf.set_font_size(size)
        if _Page(pdf, doc, size, cap, draw=False).render() <= BOTTOM:
            chosen = (size, cap, None)
            break
    if chosen is None:  # even the tightest layout is too tall: show fewer activities
        size, cap = STEPS[-1]
        pdf.set_font_size(size)
        rows = len(doc.activities)
        while rows > 0 and _Page(pdf, doc, size, cap, draw=False).render(rows) > BOTTOM:
            rows -= 1
        chosen = (size, cap, rows)
    size, cap, rows = chosen
    pdf.add_page()
    pdf.set_font_size(size)
    page = _Page(pdf, doc, size, cap, draw=True)
    page.render(rows)

    # Footer: where the plan comes from, and a pointer to the XLSX when something was cut.
    pdf.set_font_size(7)
    pdf.set_text_color(*MUTED)
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, HEIGHT - 11, WIDTH - MARGIN, HEIGHT - 11)
    pdf.set_xy(MARGIN, HEIGHT - 10)
    pdf.cell(CONTENT_W / 2, 4, doc.printed[:160])
    if page.cut:
        pdf.set_text_color(160, 28, 28)
        pdf.set_xy(MARGIN + CONTENT_W / 2, HEIGHT - 10)
        pdf.cell(CONTENT_W / 2, 4, doc.labels["cut"], align="R")
    return bytes(pdf.output())


def plan_pdf(plan) -> bytes:
    """The plan's one-page PDF, in the page's language."""
    from flask import current_app
    from sqlalchemy import select

    reviewer = None
    if plan.status == "approved":
        reviewer = db.session.scalar(select(User.full_name).join(PlanReview, PlanReview.reviewer_id == User.id)
                                     .where(PlanReview.plan_id == plan.id, PlanReview.decision == "approved")
                                     .order_by(PlanReview.created_at.desc(), PlanReview.id.desc()).limit(1))
    doc = document(plan, db.session.get(User, plan.user_id), db.session.get(Cohort, plan.cohort_id),
                   db.session.get(Course, plan.course_id), reviewer)
    return render_plan(doc, author=current_app.config.get("CERT_ISSUER", "") or "",
                       fallback_fonts=current_app.config.get("CERT_FALLBACK_FONTS"))

