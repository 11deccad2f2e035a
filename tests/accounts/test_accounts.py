"""Registration with an enrolment key, login, rate limits, CSRF, profile, the users CLI."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Enrolment
from lms.extensions import db
from tests.conftest import PASSWORD, text_of

REGISTRATION = {
    "email": "ani@perpusdes.id", "password": "rahasia-123", "password_confirm": "rahasia-123",
    "full_name": "Ani Rahmawati, A.Md.", "nip": "", "position": "Pengelola perpustakaan desa",
    "institution": "Perpustakaan Desa Sungai Namang", "regency": "Hulu Sungai Utara", "province": "63",
}


def get_user(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_register_with_key_joins_the_cohort(app, client, courses, make_cohort):
    cohort = make_cohort("mini-a", key="BIMTEK-HSU")
    response = client.post("/register", data={**REGISTRATION, "enrolment_key": " bimtek-hsu "})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    user = get_user(app, "ani@perpusdes.id")
    assert user.role == "trainee" and user.institution == "Perpustakaan Desa Sungai Namang"
    assert user.password_hash != "rahasia-123" and user.check_password("rahasia-123")
    with app.app_context():
        assert db.session.scalar(select(Enrolment.cohort_id).where(Enrolment.user_id == user.id)) == cohort.id
    assert "Kursus Mini A" in text_of(client.get("/dashboard").data)


def test_wrong_key_is_a_form_error_and_creates_nothing(app, client, courses, make_cohort):
    make_cohort("mini-a", key="BIMTEK-HSU")
    response = client.post("/register", data={**REGISTRATION, "enrolment_key": "SALAH"})
    assert response.status_code == 400
    assert "Kode pendaftaran ini tidak berlaku" in text_of(response.data)
    assert get_user(app, "ani@perpusdes.id") is None


def test_closed_cohort_refuses_registration(app, client, courses, make_cohort):
    make_cohort("mini-a", key="TUTUP", is_open=False)
    response = client.post("/register", data={**REGISTRATION, "enrolment_key": "TUTUP"})
    assert "Pendaftaran untuk angkatan ini sudah ditutup" in text_of(response.data)
    assert get_user(app, "ani@perpusdes.id") is None


def test_duplicate_email_is_refused(client, courses, make_cohort, make_user):
    make_cohort("mini-a", key="KEY1")
    make_user(email="ani@perpusdes.id")
    response = client.post("/register", data={**REGISTRATION, "email": "ANI@perpusdes.id", "enrolment_key": "KEY1"})
    assert response.status_code == 400
    assert "Akun dengan alamat email ini sudah ada" in text_of(response.data)


def test_nip_must_have_18_digits_and_may_have_spaces(app, client, courses, make_cohort):
    make_cohort("mini-a", key="KEY1")
    bad = client.post("/register", data={**REGISTRATION, "nip": "12345", "enrolment_key": "KEY1"})
    assert "NIP harus 18 digit" in text_of(bad.data)
    good = client.post("/register", data={**REGISTRATION, "nip": "19680411 199303 1 009", "enrolment_key": "KEY1"})
    assert good.status_code == 302
    assert get_user(app, "ani@perpusdes.id").nip == "196804111993031009"


def test_registration_form_has_labels_for_every_field(client):
    page = client.get("/register").data.decode()
    for name in ("enrolment_key", "email", "password", "full_name", "nip", "position", "institution",
                 "regency", "province"):
        assert f'<label for="{name}"' in page


def test_login_and_logout(client, make_user):
    user = make_user(email="masuk@example.test")
    response = client.post("/login", data={"email": "MASUK@example.test", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert client.get("/dashboard").status_code == 302
    assert user.email == "masuk@example.test"


def test_login_next_parameter_stays_on_site(client, make_user):
    make_user(email="n@example.test")
    ok = client.post("/login?next=/profile", data={"email": "n@example.test", "password": PASSWORD})
    assert ok.headers["Location"] == "/profile"
    client.post("/logout")
    evil = client.post("/login?next=//evil.example/x", data={"email": "n@example.test", "password": PASSWORD})
    assert evil.headers["Location"] == "/dashboard"


def test_failed_login_message_does_not_reveal_whether_email_exists(client, make_user):
    make_user(email="ada@example.test")
    known = text_of(client.post("/login", data={"email": "ada@example.test", "password": "salah-sekali"}).data)
    unknown = text_of(client.post("/login", data={"email": "tidak-ada@example.test", "password": "salah-sekali"}).data)
    assert "Email atau kata sandi salah." in known
    assert known.replace("ada@example.test", "X") == unknown.replace("tidak-ada@example.test", "X")


def test_repeated_failed_logins_get_429(client, make_user):
    make_user(email="target@example.test")
    statuses = [client.post("/login", data={"email": "target@example.test", "password": f"tebak-{i}"}).status_code
                for i in range(7)]
    assert statuses[:5] == [400] * 5
    assert statuses[5:] == [429, 429]
    # Even the right password is refused while the limit holds.
    assert client.post("/login", data={"email": "target@example.test", "password": PASSWORD}).status_code == 429


def test_successful_logins_are_not_counted(client, make_user):
    make_user(email="rajin@example.test")
    for _ in range(8):
        assert client.post("/login", data={"email": "rajin@example.test", "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_account_limit_holds_across_addresses(app, make_user):
    make_user(email="korban@example.test")
    statuses = []
    for i in range(11):
        c = app.test_client()
        statuses.append(c.post("/login", data={"email": "korban@example.test", "password": "x" * 9},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"}).status_code)
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


def test_forms_require_csrf_token(app, make_user):
    make_user(email="csrf@example.test")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": "csrf@example.test", "password": PASSWORD})
        assert response.status_code == 400
        page = client.get("/login").data.decode()
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        ok = client.post("/login", data={"email": "csrf@example.test", "password": PASSWORD, "csrf_token": token})
        assert ok.status_code == 302
        assert client.post("/logout").status_code == 400  # logout without a token is refused
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_profile_edit(app, client, auth, make_user):
    user = make_user(email="profil@example.test")
    auth.login(user.email)
    response = client.post("/profile", data={
        "full_name": "Siti Aminah, S.Sos.", "nip": "", "position": "Kepala perpustakaan",
        "institution": "Perpustakaan Desa Tampakang", "regency": "Hulu Sungai Utara", "province": "63",
        "locale": "en"})
    assert response.status_code == 302
    saved = get_user(app, "profil@example.test")
    assert saved.full_name == "Siti Aminah, S.Sos." and saved.locale == "en"
    assert "Your profile has been saved." in text_of(client.get("/profile").data)


def test_inactive_account_cannot_log_in(app, client, make_user):
    user = make_user(email="nonaktif@example.test")
    with app.app_context():
        db.session.get(User, user.id).is_active_account = False
        db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400


def test_users_create_cli(app, runner):
    result = runner.invoke(args=["users", "create", "--role", "facilitator", "--email", "Fas@Example.test",
                                 "--name", "Budi", "--password", "kata-sandi-9"])
    assert result.exit_code == 0, result.output
    user = get_user(app, "fas@example.test")
    assert user.role == "facilitator" and user.check_password("kata-sandi-9")
    again = runner.invoke(args=["users", "create", "--role", "admin", "--email", "fas@example.test",
                                "--name", "X", "--password", "kata-sandi-9"])
    assert again.exit_code == 1 and "sudah ada" in again.output
    bad_role = runner.invoke(args=["users", "create", "--role", "boss", "--email", "b@example.test",
                                   "--name", "X", "--password", "kata-sandi-9"])
    assert bad_role.exit_code == 2
