"""Writing follow-ups: start a report, save it (with photos), add and remove activities held,
send it; and the follow-up reminders (a job handler and `flask plans remind-followups`).
Functions flush; the request, job or CLI commits."""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.content.assets import image_problem
from lms.content.models import Course
from lms.extensions import db
from lms.jobs import JobError
from lms.mail import send_mails
from lms.plans.followup_forms import MAX_HELD, MAX_PHOTOS, PHOTO_SUFFIXES, FollowUpInput, photo_limit
from lms.plans.followups import REPORTING_STATES, Round, followup_of, local_today, reminder_candidates, round_of
from lms.plans.models import (ActionPlan, FollowUp, FollowUpItem, FollowUpReminder,
                              HeldActivity, HeldPhoto)
from lms.plans.operations import UnknownAction
from lms.util import utcnow
from lms.util.db import begin_write

log = logging.getLogger(__name__)
PHOTO_SIDE = 1600  # pixels: photos are stored at most this wide or high
PHOTO_QUALITY = 82


class FollowUpError(Exception):
    """An action the report does not allow now; the message is shown to the user."""


class FollowUpInvalid(FollowUpError):
    """A posted form with errors (by field name); nothing of it was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class FollowUpIncomplete(FollowUpError):
    """A report that cannot be sent yet; .gaps says what is missing, in the order of the form."""

    def __init__(self, gaps: list[str]) -> None:
        super().__init__("; ".join(gaps))
        self.gaps = gaps


def start_followup(plan: ActionPlan, number: int) -> FollowUp:
    """The plan's report for round `number` (created with a row per planned activity and one
    empty activity held, when the round has fallen due and the plan is submitted or approved)."""
    existing = followup_of(plan.id, number)
    if existing is not None:
        return existing
    if plan.status not in REPORTING_STATES:
        raise FollowUpError(_("Follow-up reports are for plans that have been sent for review."))
    cohort = db.session.get(Cohort, plan.cohort_id)
    due = round_of(cohort, number)
    if due is None:
        raise FollowUpError(_("This follow-up report is not open yet."))
    followup = FollowUp(plan_id=plan.id, user_id=plan.user_id, cohort_id=plan.cohort_id, round=due.number,
                        months=due.months, due_on=due.due_on, status="draft")
    followup.items = [FollowUpItem(plan_activity_id=activity.id) for activity in plan.activities]
    followup.held = [HeldActivity(position=1)]
    db.session.add(followup)
    db.session.flush()
    return followup


def _editable(followup: FollowUp) -> None:
    if not followup.editable:
        raise FollowUpError(_("This report has been sent and cannot be changed."))


@dataclass
class Photo:
    data: bytes
    width: int
    height: int


def prepare_photo(data: bytes, filename: str) -> Photo | str:
    """The photo re-encoded as a JPEG of at most PHOTO_SIDE pixels a side (no EXIF: no location,
    no camera), or why it is refused (a sentence for the trainee)."""
    from PIL import Image, ImageOps

    name = posixpath.basename(filename.replace("\\", "/"))[:80] or "foto"
    suffix = posixpath.splitext(name)[1].lower()
    limit = photo_limit()
    if len(data) > limit:
        return _("%(name)s is larger than %(limit)s MB: send a smaller photo (phones can share a photo in "
                 "a smaller size).", name=name, limit=format_decimal(round(limit / (1024 * 1024), 1)))
    if suffix not in PHOTO_SUFFIXES:
        return _("%(name)s is not a photo: send a JPEG, PNG or WebP file.", name=name)
    problem = image_problem(data, suffix, max_bytes=limit)
    if problem is not None:
        if problem.kind == "pixels":
            return _("%(name)s has too many pixels: send it in a smaller size.", name=name)
        return _("%(name)s is not a readable photo: send a JPEG, PNG or WebP file.", name=name)
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)  # as the phone showed it, before EXIF is dropped
        image = image.convert("RGB")
        image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
        return Photo(out.getvalue(), image.width, image.height)


def save_followup(followup: FollowUp, data: FollowUpInput) -> int:
    """Store the posted report and its new photos, or nothing: a form error or a refused photo
    raises FollowUpInvalid before anything changes. Returns how many photos were added."""
    _editable(followup)
    errors = dict(data.errors)
    held = {h.id: h for h in followup.held}
    prepared: list[tuple[HeldActivity, Photo]] = []
    by_activity: dict[int, list] = {}
    for upload in data.uploads:
        by_activity.setdefault(upload.activity_id, []).append(upload)
    for activity_id, uploads in by_activity.items():
        activity, field = held[activity_id], f"held-{activity_id}-photos"
        consent = data.held.get(activity_id, {}).get("photo_consent", activity.photo_consent)
        if not consent:
            errors[field] = _("Tick the consent box: the people in the photos agreed to be photographed and "
                              "to have the photos shown in reports. The photos were not saved.")
            continue
        if len(activity.photos) + len(uploads) > MAX_PHOTOS:
            errors[field] = _("An activity has at most %(number)s photos; this one would have %(total)s. "
                              "The photos were not saved.", number=MAX_PHOTOS,
                              total=len(activity.photos) + len(uploads))
            continue
        problems = []
        for upload in uploads:
            photo = prepare_photo(upload.data, upload.filename)
            if isinstance(photo, str):
                problems.append(photo)
            else:
                prepared.append((activity, photo))
        if problems:
            errors[field] = " ".join(problems) + " " + _("Nothing was saved: choose the photos again.")
    if errors:
        raise FollowUpInvalid(errors)
    items = {i.id: i for i in followup.items}
    for item_id, values in data.items.items():
        for key, value in values.items():
            setattr(items[item_id], key, value)
    for activity_id, values in data.held.items():
        activity = held[activity_id]
        if activity.photos and not values.get("photo_consent"):
            values["photo_consent"] = True  # consent given with the photos stays while they do
        for key, value in values.items():
            setattr(activity, key, value)
    for activity, photo in prepared:
        activity.photos.append(HeldPhoto(content_type="image/jpeg", data=photo.data, width=photo.width,
                                         height=photo.height, sha256=hashlib.sha256(photo.data).hexdigest()))
    followup.updated_at = utcnow()
    db.session.flush()
    return len(prepared)


def add_held(followup: FollowUp) -> HeldActivity:
    """Add an empty activity held at the end."""
    _editable(followup)
    if len(followup.held) >= MAX_HELD:
        raise FollowUpError(_("A report holds at most %(number)s activities.", number=MAX_HELD))
    row = HeldActivity(position=max((h.position for h in followup.held), default=0) + 1)
    followup.held.append(row)
    db.session.flush()
    return row


def remove_held(followup: FollowUp, activity_id: int) -> None:
    _editable(followup)
    row = next((h for h in followup.held if h.id == activity_id), None)
    if row is None:
        raise FollowUpError(_("That activity is no longer in the report."))
    followup.held.remove(row)
    db.session.flush()


def remove_photo(followup: FollowUp, photo_id: int) -> None:
    _editable(followup)
    for activity in followup.held:
        photo = next((p for p in activity.photos if p.id == photo_id), None)
        if photo is not None:
            activity.photos.remove(photo)
            db.session.flush()
            return
    raise FollowUpError(_("That photo is no longer in the report."))


@dataclass
class FormSaved:
    """What a posted report did besides storing its values and new photos (.photos: how many):
    the activity added, what was removed ("activity", "photo"), the sending; or why its button's
    action was not done (.gaps, .refused)."""

    photos: int = 0
    added: HeldActivity | None = None
    removed: str = ""
    submitted: bool = False
    gaps: list[str] = field(default_factory=list)
    refused: str = ""


def _row_number(text: str) -> int:
    if not text.isdigit() or len(text) > 10:
        raise UnknownAction(text)
    return int(text)


def save_form(followup: FollowUp, data: FollowUpInput, action: str) -> FormSaved:
    """Store the whole form with its new photos (FollowUpInvalid, and nothing of it may be kept:
    the caller rolls back), then do what its button asked: "add", "remove:<activity id>",
    "remove-photo:<photo id>", "submit" (anything else: just save). An action the report refuses
    leaves the form stored, and the outcome says why; UnknownAction: an id that is no number."""
    photos = save_followup(followup, data)
    try:
        if action == "add":
            return FormSaved(photos, added=add_held(followup))
        if action.startswith("remove:"):
            remove_held(followup, _row_number(action[7:]))
            return FormSaved(photos, removed="activity")
        if action.startswith("remove-photo:"):
            remove_photo(followup, _row_number(action[13:]))
            return FormSaved(photos, removed="photo")
        if action == "submit":
            submit_followup(followup)
            return FormSaved(photos, submitted=True)
    except FollowUpIncomplete as exc:
        return FormSaved(photos, gaps=exc.gaps)
    except FollowUpError as exc:
        return FormSaved(photos, refused=str(exc))
    return FormSaved(photos)


def _blank(activity: HeldActivity) -> bool:
    return (not activity.photos and activity.held_on is None and not activity.strategy
            and not any((activity.title, activity.partners, activity.skills, activity.story))
            and activity.participants == 0)


def gaps(followup: FollowUp) -> list[str]:
    """What the report lacks before it can be sent, in the order of the form."""
    missing = []
    for number, item in enumerate(followup.items, start=1):
        if not item.progress:
            missing.append(_("Planned activity %(number)s: say whether it is done, partly done or not yet.",
                             number=number))
    for number, activity in enumerate(followup.held, start=1):
        if _blank(activity):
            continue
        lacking = []
        if not activity.title.strip():
            lacking.append(_("what was done"))
        if activity.held_on is None:
            lacking.append(_("the date"))
        if not activity.strategy:
            lacking.append(_("its TPBIS strategy"))
        if activity.participants == 0:
            lacking.append(_("the participants"))
        if lacking:
            missing.append(_("Activity held %(number)s: give %(missing)s.", number=number, missing=", ".join(lacking)))
    return missing


def submit_followup(followup: FollowUp) -> None:
    """Send the report (empty activity rows are dropped); FollowUpIncomplete says what is missing."""
    _editable(followup)
    missing = gaps(followup)
    if missing:
        raise FollowUpIncomplete(missing)
    for activity in [h for h in followup.held if _blank(h)]:
        followup.held.remove(activity)
    now = utcnow()
    followup.status, followup.submitted_at, followup.updated_at = "submitted", now, now
    db.session.flush()


# --- reminders ------------------------------------------------------------------------------------

def followup_path(course_slug: str, number: int) -> str:
    return current_app.url_map.bind("localhost").build("plans.followup", {"course_slug": course_slug,
                                                                          "number": number})


def reminder_text(user, course: Course, cohort: Cohort, due: Round, url: str) -> tuple[str, str]:
    with force_locale(user.locale or "id"):
        subject = _("Follow-up report, month %(months)s: %(course)s", months=due.months, course=course.title)
        body = _("Dear %(name)s,\n\n%(months)s months have passed since %(cohort)s ended. Please tell us what your "
                 "library has done with its action plan: for each planned activity whether it is done, and the "
                 "activities you held, with participants and photos. It takes about ten minutes on a phone:\n"
                 "%(url)s\n\nIf you have difficulties, reply to this message or contact your facilitator.\n\n"
                 "Regards,\nThe organizers", name=user.full_name, months=due.months, cohort=cohort.name, url=url)
    return subject, body


def _claim(plan: ActionPlan, cohort: Cohort, due: Round, sent_today: set[int]) -> bool:
    """Record the reminder before sending it (a savepoint): False when the trainee was reminded
    today or for this round already, also by a run at the same moment (the unique constraints)."""
    if plan.user_id in sent_today:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(FollowUpReminder(plan_id=plan.id, user_id=plan.user_id, round=due.number,
                                            sent_on=local_today(cohort.timezone)))
    except IntegrityError:
        return False
    sent_today.add(plan.user_id)
    return True


def send_reminders(job, progress) -> tuple[bytes, str]:
    """Job handler (kind "followup_reminders", params {"cohort_ids": [...] or null for all}):
    email each trainee whose follow-up report has fallen due, once per round and at most once a
    day. Each batch is recorded, then mailed, then committed: a failed mail leaves no record."""
    ids = job.params.get("cohort_ids")
    query = select(Cohort).where(Cohort.ends_on.is_not(None)).order_by(Cohort.id)
    if ids is not None:
        query = query.where(Cohort.id.in_(ids or [-1]))
    candidates = [(plan.id, cohort.id, course.id, due) for plan, cohort, course, due
                  in reminder_candidates(list(db.session.scalars(query)))]
    base = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    sent, skipped = 0, 0
    sent_today: set[int] = set()  # trainees of two plans get one mail a day (the constraint holds anyway)
    progress(0, len(candidates))
    for start in range(0, len(candidates), 20):
        begin_write()  # the claims wait for SQLite's write lock rather than fail
        messages = []
        for plan_id, cohort_id, course_id, due in candidates[start:start + 20]:
            plan, cohort = db.session.get(ActionPlan, plan_id), db.session.get(Cohort, cohort_id)
            if plan.status not in REPORTING_STATES or not _claim(plan, cohort, due, sent_today):
                skipped += 1
                continue
            course, user = db.session.get(Course, course_id), db.session.get(User, plan.user_id)
            url = base + followup_path(course.slug, due.number)
            messages.append((user.email, *reminder_text(user, course, cohort, due, url)))
        try:
            sent += send_mails(messages) if messages else 0
        except OSError as exc:  # smtplib's errors too: the batch's records are rolled back
            raise JobError("mail", f"{type(exc).__name__}: {exc}") from exc
        progress(min(start + 20, len(candidates)), len(candidates))  # commits the batch's records
    log.info("follow-up reminders: %s sent, %s skipped", sent, skipped)
    return f"{sent}\n".encode(), "pengingat-tindak-lanjut.txt"
