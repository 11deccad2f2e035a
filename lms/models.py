"""Every model, imported in one place so that Alembic sees the whole schema."""

from lms.accounts.models import ApiToken, PasswordToken, Role, User  # noqa: F401
from lms.cohorts.models import Cohort, CohortStaff, Enrolment, ImportBatch, Reminder  # noqa: F401
from lms.content.models import Asset, Course, CourseFile, CourseFileVersion, Lesson, Module  # noqa: F401
from lms.learning.models import CourseProgress, LessonProgress  # noqa: F401
from lms.quizzes.models import Answer, Attempt, GradeChange, Question, QuestionBank, Quiz  # noqa: F401
from lms.certificates.models import Certificate, CertificateCounter  # noqa: F401
from lms.jobs import Job  # noqa: F401
from lms.offline.models import ClientRequest  # noqa: F401
from lms.authoring.models import CourseFileDraft, CourseUpload  # noqa: F401
from lms.plans.models import ActionPlan, PlanActivity, PlanGoal, PlanNeed, PlanReview, PlanVersion  # noqa: F401
from lms.surveys.models import Survey, SurveyAnswer, SurveyBallot, SurveyItem, SurveySubmission  # noqa: F401
from lms.plans.models import (ActionPlan, FollowUp, FollowUpItem, FollowUpReminder, HeldActivity,  # noqa: F401
                              HeldPhoto, PlanActivity, PlanGoal, PlanNeed, PlanReview, PlanVersion)
