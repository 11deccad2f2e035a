"""Write question banks and quizzes (flush only; the caller commits once)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from sqlalchemy import exists, select

from lms.content.markdown import RENDER_VERSION, render_text
from lms.content.models import Course, Module
from lms.content.problems import SyncError
from lms.extensions import db
from lms.quizzes.counting import apply_pass_mark
from lms.quizzes.models import Answer, Attempt, Question, QuestionBank, Quiz
from lms.quizzes.signals import grade_changed
from lms.quizzes.spec import DEFAULT_PENALTY, QuestionSpec, QuizSpec
from lms.quizzes.types import QUESTION_TYPES
from lms.util import assign_changed, utcnow


def _digest(spec: QuestionSpec) -> str:
    payload = asdict(spec)
    payload.pop("line", None)
    # Moodle's extras only count when given, so questions without them keep their digest.
    for key, default in (("idnumber", ""), ("tags", []), ("penalty", DEFAULT_PENALTY), ("feedback_format", "")):
        if payload.get(key) == default:
            payload.pop(key)
    return hashlib.sha256(f"{RENDER_VERSION}:{json.dumps(payload, sort_keys=True)}".encode()).hexdigest()


def get_or_create_bank(course: Course, name: str) -> tuple[QuestionBank, bool]:
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.course_id == course.id,
                                                        QuestionBank.name == name))
    if bank is not None:
        return bank, False
    bank = QuestionBank(course_id=course.id, name=name)
    db.session.add(bank)
    db.session.flush()
    return bank, True


def sync_bank(bank: QuestionBank, questions: list[QuestionSpec], *, archive_missing: bool = True) -> dict[str, list[str]]:
    """Upsert questions by key; questions no longer in the source are archived (attempts keep them)."""
    report: dict[str, list[str]] = {"added": [], "changed": [], "removed": [], "unchanged": []}
    existing = {q.key: q for q in db.session.scalars(select(Question).where(Question.bank_id == bank.id))}
    seen = set()
    for position, spec in enumerate(questions):
        seen.add(spec.key)
        digest = _digest(spec)
        question = existing.get(spec.key)
        if question is not None and question.source_sha256 == digest and question.position == position \
                and question.archived_at is None:
            report["unchanged"].append(spec.key)
            continue
        qtype = QUESTION_TYPES[spec.qtype]
        values = {
            "name": spec.name, "category": spec.category, "qtype": spec.qtype, "text_format": spec.text_format,
            "stem": spec.stem, "stem_html": render_text(spec.stem, spec.text_format),
            "general_feedback": spec.general_feedback,
            "general_feedback_html": render_text(spec.general_feedback, spec.feedback_format or spec.text_format),
            "feedback_format": spec.feedback_format, "idnumber": spec.idnumber,
            "tags_json": json.dumps(spec.tags, ensure_ascii=False), "penalty": float(spec.penalty),
            "data_json": json.dumps(qtype.prepare(spec.data, spec.text_format), ensure_ascii=False),
            "mark": float(spec.mark) if qtype.scored else 0.0, "position": position,
            "source_sha256": digest, "archived_at": None,
        }
        if question is None:
            db.session.add(Question(bank_id=bank.id, key=spec.key, **values))
            report["added"].append(spec.key)
        elif _grading_changed(question, values) and _has_answers(question):
            # Answers were given (and maybe graded) against this version: keep it for them, under
            # a retired key, and make a new version. Regrading them is an explicit, separate step.
            question.key = f"{spec.key[:180]}~v{question.id}"
            question.archived_at = question.archived_at or utcnow()
            db.session.flush()
            db.session.add(Question(bank_id=bank.id, key=spec.key, **values))
            report["changed"].append(f"{spec.key} (new version; earlier answers keep the old one)")
        else:
            for key, value in values.items():
                setattr(question, key, value)
            report["changed"].append(spec.key)
    if archive_missing:
        now = utcnow()
        for key, question in existing.items():
            if key not in seen and question.archived_at is None:
                question.archived_at = now
                report["removed"].append(key)
    db.session.flush()
    return report


def _grading_changed(question: Question, values: dict) -> bool:
    """Whether what decides a grade (type, answers, weight) differs from the stored question."""
    return (question.qtype != values["qtype"] or json.loads(question.data_json) != json.loads(values["data_json"])
            or float(question.mark) != float(values["mark"]))


def _has_answers(question: Question) -> bool:
    return bool(db.session.scalar(select(exists().where(Answer.question_id == question.id))))


def sync_quizzes(course: Course, quizzes: list[QuizSpec], gift_banks: dict[str, list[QuestionSpec]],
                 report) -> None:
    """Upsert the course's quizzes and the banks they own; archive quizzes gone from the files."""
    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    synced_banks: set[str] = set()
    kept: set[str] = set()
    existing = {q.slug: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    regraded: list[Attempt] = []  # attempts whose result may count differently now
    for spec in quizzes:
        kept.add(spec.slug)
        bank = _quiz_bank(course, spec, gift_banks, synced_banks, report)
        values = {
            "module_id": modules[spec.module_slug].id if spec.module_slug else None,
            "bank_id": bank.id, "title": spec.title, "description": spec.description, "kind": spec.kind,
            "required": spec.required, "pass_mark": spec.pass_mark, "attempts_allowed": spec.attempts,
            "grading": spec.grading, "shuffle_questions": spec.shuffle_questions,
            "shuffle_options": spec.shuffle_options, "time_limit_minutes": spec.time_limit,
            "review_attempt": spec.review_attempt,
            "review_final": spec.review_final, "draw_count": spec.draw, "category": spec.category,
            "archived_at": None,
        }
        quiz = existing.get(spec.slug)
        if quiz is None:
            db.session.add(Quiz(course_id=course.id, slug=spec.slug, **values))
            report.added.append(f"quiz {spec.slug}")
        else:
            regraded.extend(_update_quiz(quiz, values, report))
    now = utcnow()
    for slug, quiz in existing.items():
        if slug not in kept and quiz.archived_at is None:
            quiz.archived_at = now
            report.removed.append(f"quiz {slug}")
    db.session.flush()
    _announce(regraded)


def _quiz_bank(course: Course, spec: QuizSpec, gift_banks: dict[str, list[QuestionSpec]], synced_banks: set[str],
               report) -> QuestionBank:
    """The bank a quiz draws from: an imported bank it names, or its own (synced once per sync from
    its inline questions or GIFT file)."""
    name = spec.bank_name
    if spec.bank:
        bank = db.session.scalar(select(QuestionBank).where(QuestionBank.course_id == course.id,
                                                            QuestionBank.name == spec.bank))
        if bank is None:
            raise SyncError(spec.source_path, None,
                            f"question bank '{spec.bank}' does not exist in course '{course.slug}'; "
                            "import it first with `flask quizzes import-gift`")
        return bank
    bank, _created = get_or_create_bank(course, name)
    if name not in synced_banks:
        questions = gift_banks[spec.gift] if spec.gift else spec.questions
        changes = sync_bank(bank, questions)
        synced_banks.add(name)
        for label in ("added", "changed", "removed"):
            target = getattr(report, label)
            target.extend(f"question {name}#{key}" for key in changes[label])
        report.unchanged += len(changes["unchanged"])
    return bank


def _update_quiz(quiz: Quiz, values: dict, report) -> list[Attempt]:
    """Set the quiz's values; the graded attempts that may count differently now."""
    regraded: list[Attempt] = []
    old_pass_mark, old_grading = quiz.pass_mark, quiz.grading
    if assign_changed(quiz, values):
        report.changed.append(f"quiz {quiz.slug}")
    else:
        report.unchanged += 1
    if quiz.pass_mark != old_pass_mark:
        # Every graded attempt passes or not by the new mark; the caller recounts the
        # caches that follow (a changed grading method is read from the quiz there).
        db.session.flush()
        regraded.extend(apply_pass_mark(quiz))
    if quiz.grading != old_grading:  # another attempt may count now (highest, last...)
        regraded.extend(db.session.scalars(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.state == "graded")))
    return regraded


def _announce(attempts: list[Attempt]) -> None:
    """A changed pass mark or grading method changes what counts: tell the packages that follow
    grades (certificates: issue, or flag one whose basis is gone), once per trainee and quiz."""
    seen: set[tuple[int, int]] = set()
    for attempt in attempts:
        if (attempt.user_id, attempt.quiz_id) not in seen:
            seen.add((attempt.user_id, attempt.quiz_id))
            grade_changed.send(attempt)
