"""Starting, saving, submitting and grading attempts. Functions flush; callers commit,
except submit_attempt, whose state change is the transaction's first write."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from functools import cache
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, load_only
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import User
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.counting import counted_attempt_clause, passes
from lms.quizzes.models import Answer, Attempt, AttemptGrant, GradeChange, Question, Quiz
from lms.quizzes.signals import attempt_graded, attempt_scored, attempt_started, grade_changed
from lms.quizzes.types import QUESTION_TYPES, TamperError
from lms.util import utcnow

log = logging.getLogger(__name__)

# Answers saved this long after the deadline still count (network delay); later ones do not.
DEADLINE_GRACE = timedelta(seconds=15)


class QuizError(Exception):
    """Something the trainee asked that the quiz does not allow; the message is shown, the
    reason (a word) tells an offline queue why its item was refused."""

    def __init__(self, message, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


def field_name(question_id: int) -> str:
    return f"q{question_id}"


def _drawn_from(stmt, quiz: Quiz):
    """The statement limited to the active questions the quiz draws from."""
    stmt = stmt.where(Question.bank_id == quiz.bank_id, Question.archived_at.is_(None))
    if quiz.category:
        stmt = stmt.where((Question.category == quiz.category) | Question.category.startswith(quiz.category + "/"))
    return stmt


def quiz_questions(quiz: Quiz) -> list[Question]:
    """The active questions the quiz draws from, in bank order."""
    return list(db.session.scalars(_drawn_from(select(Question), quiz).order_by(Question.position)))


def question_count(quiz: Quiz) -> int:
    """How many questions an attempt shows: the quiz's draw, else every active question it draws from."""
    return quiz.draw_count or db.session.scalar(_drawn_from(select(func.count(Question.id)), quiz))


def attempts_of(user: User, quiz: Quiz) -> list[Attempt]:
    return list(db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id).order_by(Attempt.number)))


def is_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + DEADLINE_GRACE


def attempts_left(user: User, quiz: Quiz, used: int | None = None) -> int | None:
    """Attempts the trainee may still start: the quiz's limit plus the extra attempts granted to
    her, less those she started (`used`, when the caller has counted them). None when unlimited."""
    if not quiz.attempts_allowed:
        return None
    if used is None:
        used = db.session.scalar(select(func.count(Attempt.id)).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == user.id))
    return max(0, quiz.attempts_allowed + granted_attempts(user.id, quiz.id) - used)


def granted_attempts(user_id: int, quiz_id: int) -> int:
    """Extra attempts granted to the trainee at the quiz."""
    return int(db.session.scalar(select(func.coalesce(func.sum(AttemptGrant.extra), 0)).where(
        AttemptGrant.user_id == user_id, AttemptGrant.quiz_id == quiz_id)) or 0)


MAX_GRANT_REASON = 500


def grant_attempt(quiz: Quiz, trainee: User, cohort, by: User, reason: str, extra: int = 1) -> AttemptGrant:
    """Give the trainee `extra` more attempts at the quiz, with the reason (kept with who and when).
    The caller checked that `by` runs the cohort and that the trainee is enrolled in it."""
    reason = (reason or "").strip()
    if not reason:
        raise QuizError(_l("Give a reason for the extra attempt (it is kept in the trainee's record)."))
    if len(reason) > MAX_GRANT_REASON:
        raise QuizError(_l("The reason can have at most %(max)s characters.", max=MAX_GRANT_REASON))
    if not 1 <= extra <= 5:
        raise QuizError(_l("Grant between 1 and 5 attempts at a time."))
    if not quiz.attempts_allowed:
        raise QuizError(_l("This quiz allows unlimited attempts; nothing to grant."))
    if quiz.course_id != cohort.course_id or quiz.archived_at is not None:
        raise QuizError(_l("This quiz is not part of the cohort's course."))
    grant = AttemptGrant(quiz_id=quiz.id, user_id=trainee.id, cohort_id=cohort.id, granted_by_id=by.id,
                         granted_at=utcnow(), extra=extra, reason=reason)
    db.session.add(grant)
    db.session.flush()
    return grant


def attempt_grants(user_id: int, course_id: int) -> list[tuple[AttemptGrant, Quiz, User]]:
    """The extra attempts granted to the trainee in a course's quizzes, newest first, with who gave them."""
    return [tuple(row) for row in db.session.execute(
        select(AttemptGrant, Quiz, User).join(Quiz, Quiz.id == AttemptGrant.quiz_id)
        .join(User, User.id == AttemptGrant.granted_by_id)
        .where(AttemptGrant.user_id == user_id, Quiz.course_id == course_id)
        .order_by(AttemptGrant.granted_at.desc(), AttemptGrant.id.desc()).limit(500))]


def start_attempt(user: User, quiz: Quiz, rng: random.Random | None = None) -> Attempt:
    """Resume my open attempt or start a new one, within the attempt limit."""
    # Serialize concurrent starts by the same trainee (two tabs): lock her user row first
    # (PostgreSQL; SQLite requests that write already hold the database write lock).
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    mine = attempts_of(user, quiz)  # all of hers, read under the lock: counted and numbered from here
    for attempt in mine:
        if attempt.state == "in_progress":
            if not is_expired(attempt):
                return attempt
            submit_and_announce(attempt.id, user.id)
    left = attempts_left(user, quiz, used=len(mine))
    if left == 0:
        raise QuizError(_l("You have used all %(count)s attempts of this quiz.", count=quiz.attempts_allowed))
    questions = quiz_questions(quiz)
    if not questions:
        raise QuizError(_l("This quiz has no questions yet."))
    rng = rng or random.SystemRandom()
    if quiz.draw_count and quiz.draw_count < len(questions):
        chosen = set(q.id for q in rng.sample(questions, quiz.draw_count))
        questions = [q for q in questions if q.id in chosen]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    layout = [{"q": q.id, **QUESTION_TYPES[q.qtype].layout(q.data, rng, quiz.shuffle_options)} for q in questions]
    number = max((a.number for a in mine), default=0) + 1
    now = utcnow()
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, layout_json=json.dumps(layout),
                      started_at=now,
                      deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # another tab started the same attempt number first
        existing = db.session.scalar(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.number == number))
        if existing is None:
            raise
        return existing
    attempt_started.send(attempt, when=now)  # learning notes the activity (same transaction)
    return attempt


def _questions_for(attempt: Attempt) -> list[tuple[Question, dict]]:
    layout = attempt.layout
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_([e["q"] for e in layout])))}
    return [(by_id[e["q"]], e) for e in layout if e["q"] in by_id]


def _questions_and_answers(attempt: Attempt) -> tuple[list[tuple[Question, dict]], dict[int, Answer]]:
    """_questions_for(attempt) and the attempt's answers by question, in one query (of the questions
    only what grading reads: not their texts)."""
    layout = attempt.layout
    rows = db.session.execute(
        select(Question, Answer)
        .outerjoin(Answer, (Answer.question_id == Question.id) & (Answer.attempt_id == attempt.id))
        .where(Question.id.in_([e["q"] for e in layout]))
        .options(load_only(Question.id, Question.qtype, Question.data_json, Question.mark))).all()
    by_id = {question.id: question for question, _ in rows}
    answers = {answer.question_id: answer for _, answer in rows if answer is not None}
    return [(by_id[e["q"]], e) for e in layout if e["q"] in by_id], answers


def save_answers(attempt: Attempt, form: Mapping[str, Any], now: datetime | None = None) -> int:
    """Store the responses in the form (all questions of the page); returns how many are answered.

    Raises QuizError for a closed or expired attempt, TamperError for values that do not belong
    to this attempt's questions. Nothing is saved in either case.
    """
    # Under the attempt's row lock: a submit that began first has changed the state (the answer
    # is refused, not stored after grading); one that comes later waits for this save.
    attempt = lock_attempt(attempt.id) or attempt
    now = now or utcnow()  # read after the wait for the lock
    if attempt.state != "in_progress":
        raise QuizError(_l("This attempt has been submitted; answers can no longer change."), "submitted")
    if is_expired(attempt, now):
        raise QuizError(_l("The time limit has passed; answers given after it are not counted."), "time_over")
    pairs = _questions_for(attempt)
    allowed = {field_name(q.id) for q, _ in pairs}
    for key in form.keys():
        if key.startswith("q") and key[1:].split("-", 1)[0].isdigit() and key.split("-", 1)[0] not in allowed:
            raise TamperError(f"field {key} is not part of attempt {attempt.id}")
    responses = {}
    for question, layout in pairs:
        qtype = QUESTION_TYPES[question.qtype]
        responses[question.id] = qtype.parse(question.data, layout, form, field_name(question.id))
    existing = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))}
    answered = 0
    rows = []
    for question_id, response in responses.items():
        encoded = json.dumps(response, ensure_ascii=False)
        answer = existing.get(question_id)
        if response is not None:
            answered += 1
        if (answer is None and response is None) or (answer is not None and answer.response_json == encoded):
            continue
        rows.append({"attempt_id": attempt.id, "question_id": question_id, "response_json": encoded, "saved_at": now})
    if rows:
        # An upsert: a save that raced this one past the lock (or a retried request) updates the
        # row instead of failing on the unique (attempt, question).
        stmt = _upsert(Answer).values(rows)
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"],
            set_={"response_json": stmt.excluded.response_json, "saved_at": stmt.excluded.saved_at}))
        for answer in existing.values():
            db.session.expire(answer)
    db.session.flush()
    return answered


def _upsert(model):
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _recompute(attempt: Attempt, pairs: Iterable[tuple[Question, dict]], answers: dict[int, Answer],
               now: datetime) -> None:
    """Totals from the answers' marks; final once no answer waits for a grader."""
    score = 0.0
    max_score = 0.0
    pending = False
    for question, _ in pairs:
        if not QUESTION_TYPES[question.qtype].scored:
            continue
        max_score += question.mark
        answer = answers.get(question.id)
        if answer is None:
            continue
        if answer.fraction is None:
            pending = True
        else:
            score += answer.mark or 0.0
    attempt.score = round(score, 4)
    attempt.max_score = round(max_score, 4)
    if pending:
        attempt.state, attempt.percent, attempt.passed = "submitted", None, None
        return
    attempt.state = "graded"
    attempt.graded_at = now
    attempt.percent = round(100.0 * score / max_score, 2) if max_score else 100.0
    pass_mark = attempt.quiz.pass_mark  # the quiz, loaded once (the reports' rollup reads it too)
    attempt.passed = passes(attempt.percent, pass_mark)


def submit_attempt(attempt_id: int, user_id: int, now: datetime | None = None) -> Attempt | None:
    """Close the attempt and grade it, exactly once however many requests race to do so.

    The state change is a conditional UPDATE: of concurrent submits (two tabs, a double click)
    one changes the row and grades; the others change nothing and just read the result.
    Returns None if the attempt is not this user's.
    """
    now = now or utcnow()
    locked = db.session.get_bind().dialect.name == "postgresql"
    if locked:
        # The trainee's row first: grading updates her per-course caches, and concurrent
        # submissions of her attempts must queue here rather than lock rows in two orders.
        # Loaded whole, for the certificate check that follows a grade.
        db.session.execute(select(User).where(User.id == user_id).with_for_update()
                           .execution_options(populate_existing=True))
    changed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user_id,
                              Attempt.state == "in_progress")
        .values(state="grading", submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    # The attempt with its quiz (grading reads the pass mark) and the quiz's course (the
    # certificate check after a grade reads it: then from the session, without a query).
    attempt = db.session.scalar(
        select(Attempt).join(Attempt.quiz).join(Quiz.course)
        .options(contains_eager(Attempt.quiz).contains_eager(Quiz.course))
        .where(Attempt.id == attempt_id, Attempt.user_id == user_id)
        .execution_options(populate_existing=True))
    if attempt is None or not changed:
        return attempt
    pairs, answers = _questions_and_answers(attempt)
    _grade_answers(attempt, pairs, answers, now)
    _recompute(attempt, pairs, answers, now)
    db.session.flush()
    announce_score(attempt, locked=locked, first_grade=True)
    return attempt


def submit_and_announce(attempt_id: int, user_id: int, now: datetime | None = None) -> tuple[Attempt | None, list]:
    """submit_attempt, then, if the attempt ended graded, tell the packages that follow a grade
    (attempt_graded: certificates). Every way an attempt is closed goes through here: the submit
    button, and an attempt whose time ran out (its page opened, or a new attempt started), so a
    timed post-test passed that way still issues the certificate. Returns the attempt and what
    the receivers returned (the certificates issued)."""
    attempt = submit_attempt(attempt_id, user_id, now)
    if attempt is None or attempt.state != "graded":
        return attempt, []
    return attempt, [item for _, found in attempt_graded.send(attempt) for item in (found or [])]


_GRADE_ANSWER = (update(Answer).where(Answer.id == bindparam("answer_id"))
                 .values(fraction=bindparam("fraction"), mark=bindparam("mark"), graded_at=bindparam("graded_at")))


def _grade_answers(attempt: Attempt, pairs: list[tuple[Question, dict]], answers: dict[int, Answer],
                   now: datetime) -> None:
    """Grade the submitted answers: one UPDATE sent for all of them (executemany, no unit-of-work
    flush), the loaded answers given the same values as their committed state."""
    cutoff = attempt.deadline_at + DEADLINE_GRACE if attempt.deadline_at else None
    grades = []
    for question, _ in pairs:
        answer = answers.get(question.id)
        if answer is None:
            continue
        if cutoff is not None and answer.saved_at > cutoff:
            fraction: float | None = 0.0  # saved after the time limit: not counted
        else:
            fraction = QUESTION_TYPES[question.qtype].grade(question.data, answer.response)
        mark = None if fraction is None else round(fraction * question.mark, 4)
        graded_at = now if fraction is not None else answer.graded_at
        grades.append({"answer_id": answer.id, "fraction": fraction, "mark": mark, "graded_at": graded_at})
        for name, value in (("fraction", fraction), ("mark", mark), ("graded_at", graded_at)):
            set_committed_value(answer, name, value)
    if grades:
        db.session.connection().execute(_GRADE_ANSWER, grades)


def announce_score(attempt: Attempt, locked: bool = False, first_grade: bool = False) -> None:
    """Tell the packages that follow a score (the reports' caches) that it was computed: they
    recount in the same transaction (locked: the trainee's row is locked and loaded already;
    first_grade: the attempt was just submitted, no score of it was announced before)."""
    attempt_scored.send(attempt, locked=locked, first_grade=first_grade)


def lock_attempt(attempt_id: int) -> Attempt | None:
    """The attempt, read again under its row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite: a
    writing request holds the database write lock already). Saving, submitting and grading
    one attempt queue here, so none of them acts on a state another has just changed."""
    return db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update()
                             .execution_options(populate_existing=True))


def record_grade_change(answer: Answer, attempt: Attempt, by: User | None, kind: str,
                        before: tuple[float | None, float | None, bool | None], reason: str = "") -> GradeChange:
    """Keep who changed which grade, when, from what to what and why (before: the answer's mark,
    the attempt's percent and pass before the change; after: as they are now)."""
    change = GradeChange(answer_id=answer.id, attempt_id=attempt.id, user_id=attempt.user_id,
                         changed_by_id=by.id if by else None, changed_at=utcnow(), kind=kind,
                         mark_before=before[0], mark_after=answer.mark,
                         percent_before=before[1], percent_after=attempt.percent,
                         passed_before=before[2], passed_after=attempt.passed, reason=reason.strip())
    db.session.add(change)
    db.session.flush()
    return change


def grade_manually(answer: Answer, grader: User, fraction: float, comment: str = "", *,
                   reason: str = "", override: bool = False) -> Attempt:
    """A facilitator grades an answer that needs a person (an essay), or overrides an automatic or
    earlier grade (override, with a reason). The attempt's score is final once no answer waits;
    every change is recorded (GradeChange) and announced (grade_changed)."""
    if not 0.0 <= fraction <= 1.0:
        raise QuizError(_l("The grade must be between 0 and the question's mark."))
    user_id = db.session.scalar(select(Attempt.user_id).where(Attempt.id == answer.attempt_id))
    # The trainee's row first, as submit_attempt takes it (her caches are recounted below).
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    attempt = lock_attempt(answer.attempt_id)
    if attempt.state not in ("submitted", "graded"):
        raise QuizError(_l("This attempt has not been submitted yet."))
    db.session.refresh(answer)
    question = db.session.get(Question, answer.question_id)
    manual = QUESTION_TYPES[question.qtype].manual
    if not manual and not override:
        raise QuizError(_l("This answer is graded automatically. To change its grade, override it and give a reason."))
    first = manual and answer.fraction is None
    if not first and not reason.strip():
        raise QuizError(_l("Give a reason for changing a grade that was already given."))
    before = (answer.mark, attempt.percent, attempt.passed)
    now = utcnow()
    answer.fraction = fraction
    answer.mark = round(fraction * question.mark, 4)
    answer.grader_id = grader.id
    answer.grader_comment = comment.strip()
    answer.graded_at = now
    pairs = _questions_for(attempt)
    answers = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))}
    _recompute(attempt, pairs, answers, now)
    db.session.flush()
    announce_score(attempt, locked=True)
    if first or before[0] != answer.mark:
        record_grade_change(answer, attempt, grader, "grade" if first else "override", before, reason)
        grade_changed.send(attempt)
    return attempt


def grade_changes(user_id: int, course_id: int) -> list[tuple[GradeChange, Quiz, Question, User | None]]:
    """The trainee's grade changes in a course's quizzes, newest first, with who made each."""
    from sqlalchemy.orm import aliased

    by = aliased(User)
    rows = db.session.execute(
        select(GradeChange, Quiz, Question, by)
        .join(Attempt, Attempt.id == GradeChange.attempt_id).join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Answer, Answer.id == GradeChange.answer_id).join(Question, Question.id == Answer.question_id)
        .outerjoin(by, by.id == GradeChange.changed_by_id)
        .where(GradeChange.user_id == user_id, Quiz.course_id == course_id)
        .order_by(GradeChange.changed_at.desc(), GradeChange.id.desc()).limit(500))
    return [tuple(row) for row in rows]


@dataclass(frozen=True)
class QuizStatus:
    """A quiz of the course as it stands for one trainee."""

    quiz: Quiz
    result: Attempt | None  # the graded attempt that counts (lms.quizzes.counting)
    used: int = 0  # attempts started
    granted: int = 0  # extra attempts granted
    open_attempt: int | None = None  # id of my attempt in progress
    waiting: bool = False  # an attempt waits for a facilitator's grade
    last_failed: int | None = None  # id of my latest graded attempt, when it did not pass

    @property
    def passed(self) -> bool:
        return bool(self.result and self.result.passed)

    @property
    def taken(self) -> bool:
        """An attempt was submitted (graded or waiting for a grade)."""
        return self.result is not None or self.waiting

    @property
    def left(self) -> int | None:
        """Attempts I may still start (None: unlimited)."""
        if not self.quiz.attempts_allowed:
            return None
        return max(0, self.quiz.attempts_allowed + self.granted - self.used)

    @property
    def out_of_attempts(self) -> bool:
        """Not passed, nothing open or waiting, and no attempt left: only an organizer can help."""
        return not self.passed and self.open_attempt is None and not self.waiting and self.left == 0


@cache
def _statuses_statement(one: bool):
    """quiz_statuses' query, built once per process (values bound per call: user_id, and
    quiz_id when `one`, else course_id)."""
    from sqlalchemy import and_, bindparam, case
    from sqlalchemy.orm import aliased

    user_id = bindparam("user_id")
    mine = (select(Attempt.quiz_id, func.count().label("used"),
                   func.max(case((Attempt.state == "in_progress", Attempt.id))).label("open_id"),
                   func.max(case((Attempt.state.in_(("submitted", "grading")), 1), else_=0)).label("waiting"),
                   func.max(case((Attempt.state == "graded", Attempt.number))).label("last_graded"))
            .where(Attempt.user_id == user_id).group_by(Attempt.quiz_id).subquery())
    grants = (select(AttemptGrant.quiz_id, func.sum(AttemptGrant.extra).label("extra"))
              .where(AttemptGrant.user_id == user_id).group_by(AttemptGrant.quiz_id).subquery())
    counted, last = aliased(Attempt), aliased(Attempt)
    stmt = (select(Quiz, counted, mine.c.used, mine.c.open_id, mine.c.waiting, last.id, last.passed, grants.c.extra)
            .select_from(Quiz)
            # the attempt that counts: lms.quizzes.counting's one rule
            .outerjoin(counted, and_(counted.quiz_id == Quiz.id, counted.user_id == user_id,
                                     counted_attempt_clause(counted, Quiz)))
            .outerjoin(mine, mine.c.quiz_id == Quiz.id)
            .outerjoin(last, and_(last.quiz_id == Quiz.id, last.user_id == user_id,
                                  last.number == mine.c.last_graded))
            .outerjoin(grants, grants.c.quiz_id == Quiz.id))
    if one:
        return stmt.where(Quiz.id == bindparam("quiz_id"))
    return stmt.where(Quiz.course_id == bindparam("course_id"), Quiz.archived_at.is_(None)).order_by(Quiz.id)


def quiz_statuses(user: User, course: Course, only: Quiz | None = None) -> dict[int, QuizStatus]:
    """Every active quiz of the course (or only the one given) with the result that counts for me,
    my attempts used and granted, my open attempt and whether one waits for grading: one query,
    whatever the size."""
    if only is not None:
        rows = db.session.execute(_statuses_statement(True), {"user_id": user.id, "quiz_id": only.id})
    else:
        rows = db.session.execute(_statuses_statement(False), {"user_id": user.id, "course_id": course.id})
    return {quiz.id: QuizStatus(quiz, counted, used or 0, int(extra or 0), open_id, bool(waiting),
                                last_id if last_id is not None and not last_passed else None)
            for quiz, counted, used, open_id, waiting, last_id, last_passed, extra in rows}


def quiz_status(user: User, quiz: Quiz) -> QuizStatus:
    """One quiz as it stands for the trainee."""
    return quiz_statuses(user, quiz.course, only=quiz)[quiz.id]


def log_tamper(user: User, attempt: Attempt, exc: Exception) -> None:
    log.warning("rejected quiz submission: user=%s attempt=%s: %s", user.id, attempt.id, exc)
