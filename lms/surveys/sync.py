"""Write the course's survey files into the database (flush only; the import commits once).

Surveys and items are upserted by scope and key; what the files dropped is archived, never
deleted, so that answers already given keep their items."""

from __future__ import annotations

from sqlalchemy import select

from lms.content.models import Course
from lms.extensions import db
from lms.surveys.models import Survey, SurveyItem
from lms.surveys.spec import SurveySpec
from lms.util import assign_changed, utcnow


def sync_surveys(course: Course, specs: list[SurveySpec], report) -> None:
    """Upsert the course's surveys and their items; report lines like 'survey evaluasi.yml'."""
    now = utcnow()
    existing = {s.scope: s for s in db.session.scalars(select(Survey).where(Survey.course_id == course.id))}
    kept: set[str] = set()
    for spec in specs:
        kept.add(spec.scope)
        label = f"survey {spec.source_path}"
        values = {"title": spec.title, "intro": spec.intro, "source_path": spec.source_path,
                  "required_for_certificate": spec.required_for_certificate, "archived_at": None}
        survey = existing.get(spec.scope)
        changed = False
        if survey is None:
            survey = Survey(course_id=course.id, scope=spec.scope, **values)
            db.session.add(survey)
            db.session.flush()
            report.added.append(label)
        else:
            changed = assign_changed(survey, values)
        items = {i.key: i for i in db.session.scalars(select(SurveyItem).where(SurveyItem.survey_id == survey.id))}
        seen = set()
        for position, ispec in enumerate(spec.items):
            seen.add(ispec.key)
            item_values = {"section": ispec.section, "kind": ispec.kind, "text": ispec.text,
                           "required": ispec.required, "position": position, "archived_at": None}
            item = items.get(ispec.key)
            if item is None:
                db.session.add(SurveyItem(survey_id=survey.id, key=ispec.key, **item_values))
                changed = True
            elif assign_changed(item, item_values):
                changed = True
        for key, item in items.items():
            if key not in seen and item.archived_at is None:
                item.archived_at = now
                changed = True
        if changed and label not in report.added:
            survey.updated_at = now
            report.changed.append(label)
        elif label not in report.added:
            report.unchanged += 1
    for scope, survey in existing.items():
        if scope not in kept and survey.archived_at is None:
            survey.archived_at = now
            report.removed.append(f"survey {survey.source_path or scope}")
    db.session.flush()
