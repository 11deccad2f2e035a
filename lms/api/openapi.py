"""The OpenAPI 3.1 document of the JSON API (lms/api/views.py), served at /api/v1/openapi.json.

Written by hand; tests/test_api_openapi.py holds it to the routes (every /api/v1 route documented
with its methods and path parameters, no documented path without a route) and validates it
with openapi-spec-validator."""

from __future__ import annotations

from typing import Any


def document(server_url: str) -> dict[str, Any]:
    """The document, with `server_url` (the API's base URL as the client reached it) as server."""
    cohort_param = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": "Short name of the cohort"}
    error = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bimtek LMS API", "version": "1.0.0",
                 "description": "Completion of cohorts, progress of their participants, the anonymous "
                                "training evaluation (aggregates only), and the chain from reaction to "
                                "results. Tokens: "
                                "`flask --app lms users token --email ORGANIZER --name NAME`."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
                "Cohort": {"type": "object", "required": ["slug", "name", "course", "is_open"], "properties": {
                    "slug": {"type": "string"}, "name": {"type": "string"}, "course": {"type": "string"},
                    "starts_on": {"type": ["string", "null"], "format": "date"},
                    "ends_on": {"type": ["string", "null"], "format": "date"}, "is_open": {"type": "boolean"}}},
                "Participant": {"type": "object", "required": ["name", "email", "progress_percent", "status"],
                                "properties": {
                                    "name": {"type": "string"}, "email": {"type": "string"},
                                    "institution": {"type": "string"}, "regency": {"type": "string"},
                                    "regency_code": {"type": ["string", "null"]},
                                    "progress_percent": {"type": "integer", "minimum": 0, "maximum": 100},
                                    "status": {"type": "string",
                                               "enum": ["not_started", "in_progress", "stuck_attempts", "failed_posttest",
                                                        "missing_lessons", "completed", "certified"]},
                                    "last_activity": {"type": ["string", "null"], "format": "date-time"}}},
                "SurveyItem": {"type": "object", "required": ["key", "section", "text", "suppressed"],
                               "description": "One rating cell. Suppressed (fewer answers than min_group): "
                                              "n, mean and distribution are null.",
                               "properties": {
                                   "key": {"type": "string"},
                                   "section": {"type": "string",
                                               "enum": ["materi", "fasilitator", "penyelenggaraan", "platform", "umum"]},
                                   "text": {"type": "string"},
                                   "facilitator": {"type": ["string", "null"],
                                                   "description": "The facilitator rated (never the respondent)"},
                                   "suppressed": {"type": "boolean"},
                                   "n": {"type": ["integer", "null"]},
                                   "mean": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
                                   "distribution": {"type": ["object", "null"],
                                                    "description": "Answers per value, keys '1' to '5'",
                                                    "additionalProperties": {"type": "integer"}}}},
                "People": {"type": "object", "description": "People reached, by sex then age group",
                           "properties": {sex: {"type": "object", "properties": {
                               age: {"type": "integer"} for age in ("child", "youth", "adult", "elderly")}}
                               for sex in ("male", "female")}},
                "ChainGroup": {"type": "object", "required": ["label", "participants"],
                               "description": "The chain for one regency/city (key: Kemendagri code, null when "
                                              "not on the list) or institution.",
                               "properties": {
                                   "key": {"type": ["string", "null"]}, "label": {"type": "string"},
                                   "participants": {"type": "integer"},
                                   "survey_answered": {"type": ["integer", "null"],
                                                       "description": "Trainees who answered the evaluation; null "
                                                                      "unless every group has min_group answers"},
                                   "learning": {"type": "object"}, "behaviour": {"type": "object"},
                                   "results": {"type": "object", "properties": {
                                       "activities": {"type": "integer"},
                                       "people": {"$ref": "#/components/schemas/People"},
                                       "people_total": {"type": "integer"}, "partners": {"type": "integer"},
                                       "stories": {"type": "integer"}}}}},
                "Chain": {"type": "object",
                          "required": ["cohorts", "participants", "reaction", "learning", "behaviour", "results"],
                          "description": "Reaction (the anonymous evaluation, as /survey gives it), learning "
                                         "(pre-/post-test means and normalized gain), behaviour (action plans, "
                                         "follow-up reports per round), results (activities held, people "
                                         "reached, partners, stories); in total and by regency and institution.",
                          "properties": {
                              "cohorts": {"type": "array", "items": {"type": "string"}},
                              "participants": {"type": "integer"},
                              "reaction": {"$ref": "#/components/schemas/Survey"},
                              "learning": {"type": ["object", "null"], "properties": {
                                  "mean_pre": {"type": ["number", "null"]}, "mean_post": {"type": ["number", "null"]},
                                  "normalized_gain": {"type": ["number", "null"]}, "paired": {"type": "integer"}}},
                              "behaviour": {"type": "object", "properties": {
                                  "plans_started": {"type": "integer"}, "plans_submitted": {"type": "integer"},
                                  "plans_approved": {"type": "integer"}, "reporting": {"type": "integer"},
                                  "rounds": {"type": "array", "items": {"type": "object"}}}},
                              "results": {"type": "object", "properties": {
                                  "activities": {"type": "integer"},
                                  "people": {"$ref": "#/components/schemas/People"},
                                  "people_total": {"type": "integer"},
                                  "partners": {"type": "array", "items": {"type": "string"}},
                                  "stories": {"type": "integer"},
                                  "rounds": {"type": "array", "items": {"type": "object"}},
                                  "story_list": {"type": "array", "items": {"type": "object"}}}},
                              "survey_min_group": {"type": "integer"},
                              "by_regency": {"type": "array", "items": {"$ref": "#/components/schemas/ChainGroup"}},
                              "by_institution": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/ChainGroup"}}}},
                "Survey": {"type": "object", "required": ["title", "min_group", "answered", "in_aggregates", "items"],
                           "description": "Anonymous aggregates: no respondent is named or linkable. Ballots join "
                                          "the aggregates in batches of at least min_group.",
                           "properties": {
                               "title": {"type": "string"}, "min_group": {"type": "integer"},
                               "enrolled": {"type": "integer"},
                               "answered": {"type": "integer", "description": "Trainees who answered"},
                               "in_aggregates": {"type": "integer", "description": "Answers counted below"},
                               "cohorts": {"type": "array", "items": {"type": "object", "properties": {
                                   "slug": {"type": "string"}, "enrolled": {"type": "integer"},
                                   "answered": {"type": "integer"}, "in_aggregates": {"type": "integer"}}}},
                               "items": {"type": "array", "items": {"$ref": "#/components/schemas/SurveyItem"}},
                               "comments": {"type": "array", "items": {"type": "object", "properties": {
                                   "key": {"type": "string"}, "text": {"type": "string"},
                                   "suppressed": {"type": "boolean"},
                                   "comments": {"type": "array", "items": {"type": "string"},
                                                "description": "In random order; empty when suppressed"}}}}}},
            },
        },
        "paths": {
            "/cohorts": {"get": {"summary": "Cohorts I run", "responses": {
                "200": {"description": "Cohorts", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"cohorts": {"type": "array",
                                                                 "items": {"$ref": "#/components/schemas/Cohort"}}}}}}},
                "401": error}}},
            "/cohorts/{slug}/completion": {"get": {"summary": "Completion funnel and rates", "parameters": [cohort_param],
                                                   "responses": {"200": {"description": "Completion", "content": {
                                                       "application/json": {"schema": {"type": "object"}}}},
                                                       "401": error, "404": error}}},
            "/cohorts/{slug}/participants": {"get": {"summary": "Participants' progress", "parameters": [cohort_param],
                                                     "responses": {"200": {"description": "Participants", "content": {
                                                         "application/json": {"schema": {"type": "object", "properties": {
                                                             "participants": {"type": "array", "items": {
                                                                 "$ref": "#/components/schemas/Participant"}}}}}}},
                                                         "401": error, "404": error}}},
            "/cohorts/{slug}/survey": {"get": {
                "summary": "Training evaluation of a cohort (anonymous aggregates)", "parameters": [cohort_param],
                "responses": {"200": {"description": "Aggregates", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Survey"},
                              {"type": "object", "properties": {"cohort": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
            "/cohorts/{slug}/chain": {"get": {
                "summary": "The chain of a cohort: reaction, learning, behaviour, results", "parameters": [cohort_param],
                "responses": {"200": {"description": "Chain", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Chain"},
                              {"type": "object", "properties": {"cohort": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
            "/courses/{slug}/chain": {"get": {
                "summary": "The chain of a course across my cohorts",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "Short name of the course"}],
                "responses": {"200": {"description": "Chain", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Chain"},
                              {"type": "object", "properties": {"course": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
            "/courses/{slug}/survey": {"get": {
                "summary": "Training evaluation of a course across my cohorts (anonymous aggregates)",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "Short name of the course"}],
                "responses": {"200": {"description": "Aggregates", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Survey"},
                              {"type": "object", "properties": {"course": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
        },
    }
