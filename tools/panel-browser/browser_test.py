"""The panel in a real browser: Debian's headless Chromium driven by Selenium.

Seeds a data folder the way a box fills it (DICOM imports read by the shipped demo model in
`fluorobox serve`: a flagged nodule phantom, a normal phantom, a blank image the quality check
rejects, an image whose pixel data is cut short so its analysis fails for good; a failing platform
destination: the agent's real sync worker pointed at a closed port), then loads every page in
English and Russian, checks the key texts (the demonstration model's banner on every page and its
mark beside every finding among them), logs in and out, retries the failed analysis, records a
doctor's verdict and saves PNG screenshots under build/panel-screenshots.

Usage: tools/panel-browser/run [path/to/fluorobox]
"""
import json
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHOTS = os.path.join(ROOT, "build", "panel-screenshots")
PASSWORDS = {"technician": "browser-tech-1", "doctor": "browser-doc-2"}

passed = 0
failed = 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}", file=sys.stderr)


def read_npy_u16(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY"
    header_len = struct.unpack("<H", data[8:10])[0]
    header = eval(data[10:10 + header_len].decode("latin1"))  # the .npy header is a Python dict literal
    assert header["descr"] == "<u2" and not header["fortran_order"]
    height, width = header["shape"]
    return width, height, data[10 + header_len:10 + header_len + width * height * 2]


def write_dx(path, width, height, pixels, patient_name, patient_id):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.StudyDate = "20261123"
    ds.Modality = "DX"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = height, width
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = pixels
    ds.save_as(path, enforce_file_format=True)


# A development box: the demo package is signed with the demo key, which a box trusts only when
# asked (its private half is in the repository).
os.environ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY"] = "true"


def run(binary, *args, stdin=None):
    result = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result.stdout


def seed(binary, work):
    data = os.path.join(work, "data")
    reference = os.path.join(ROOT, "models", "chest-phantom-demo", "reference", "nodule-source.npy")
    width, height, pixels = read_npy_u16(reference)
    files = [os.path.join(work, name) for name in ("nodule.dcm", "normal.dcm", "blank.dcm", "cut-short.dcm")]
    write_dx(files[0], width, height, pixels, "PETROV^IVAN", "P-1001")
    run(binary, "demo-study", "--out", files[1], "--seed", "7", "--size", "512")
    write_dx(files[2], 512, 512, struct.pack("<H", 1200) * (512 * 512), "SIDOROVA^ANNA", "P-1003")
    # Stored like any image (intake reads the header), but the analysis cannot decode it.
    write_dx(files[3], 512, 512, b"\0" * 1000, "ORLOVA^VERA", "P-1004")
    run(binary, "import", "--data-dir", data, *files)
    package = os.path.join(ROOT, "models", "chest-phantom-demo")
    manifest = json.load(open(os.path.join(package, "manifest.json")))
    run(binary, "model", "install", package, "--data-dir", data)
    run(binary, "model", "activate", f"{manifest['id']}@{manifest['version']}", "--data-dir", data)
    for role, password in PASSWORDS.items():
        run(binary, "panel-password", role, "--data-dir", data, stdin=password + "\n")
    return data


def closed_port():
    """A loopback port nobody listens on: the platform the sync worker cannot reach."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lan_address():
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def make_certificate(work, host):
    """A self-signed device certificate, as the image makes one at first boot."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "30", "-subj", "/CN=fluorobox-browser-test", "-addext", f"subjectAltName=IP:{host}",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    printed = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"],
                             check=True, capture_output=True, text=True).stdout
    return cert, key, printed.strip().split("=", 1)[1]


def start_agent(binary, data, **settings):
    env = dict(os.environ, FLUOROBOX_PANEL_PORT="0", FLUOROBOX_PANEL_BIND_ADDRESS="127.0.0.1",
               FLUOROBOX_DICOM_BIND_ADDRESS="127.0.0.1", FLUOROBOX_ANALYSIS_THREADS="2",
               FLUOROBOX_SYNC_HUB_URL=f"http://127.0.0.1:{closed_port()}", FLUOROBOX_SYNC_ALLOW_PLAIN_HTTP="true")
    env.update(settings)
    agent = subprocess.Popen([binary, "serve", "--data-dir", data, "--dicom-port", "0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    state_path = os.path.join(data, "run", "agent.json")
    database = os.path.join(data, "store.sqlite")
    deadline = time.time() + 180
    port = None
    while time.time() < deadline:
        if agent.poll() is not None:
            raise SystemExit("fluorobox serve exited early")
        try:
            state = json.load(open(state_path))
            port = state.get("listeners", {}).get("panel") if state.get("state") == "ready" else None
        except (OSError, ValueError):
            port = None
        if port:
            with sqlite3.connect(database) as db:
                waiting = db.execute("SELECT COUNT(*) FROM analysis WHERE status IN ('pending', 'running')").fetchone()[0]
            if waiting == 0:
                break
        time.sleep(0.5)
    else:
        agent.kill()
        raise SystemExit("the agent did not become ready and finish its analyses in 180 s")
    # The sync worker has failed against the closed port at least once.
    sync_path = os.path.join(data, "run", "sync-platform.json")
    sync = {}
    while time.time() < deadline and not (sync.get("consecutiveFailures", 0) > 0 and sync.get("lastError")):
        try:
            sync = json.load(open(sync_path))
        except (OSError, ValueError):
            sync = {}
        time.sleep(0.5)
    if not sync.get("lastError"):
        agent.kill()
        raise SystemExit("the platform sync did not report its failure")
    with sqlite3.connect(database) as db:
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM analysis GROUP BY status").fetchall())
    print(f"agent ready on port {port}; analyses: {statuses}; platform sync: {sync['phase']}, {sync['consecutiveFailures']} failures, {sync['lastError']}")
    return agent, port


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "fluorobox")
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fluorobox-panel-browser-")
    data = seed(binary, work)
    agent, port = start_agent(binary, data)
    # localhost is a secure context for Chromium, so it keeps the Secure cookies over plain HTTP.
    base = f"http://localhost:{port}"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    try:
        browse(driver, base)
    finally:
        driver.quit()
        agent.terminate()
        agent.wait(timeout=30)
    browse_https(binary, data, work, options)
    status = run(binary, "status", "--data-dir", data)
    check("[DEMONSTRATION]" in status and "DEMONSTRATION MODEL ACTIVE" in status, "fluorobox status says the active model is a demonstration")
    worklist = run(binary, "studies", "--worklist", "--data-dir", data)
    check("DEMO,FLAGGED" in worklist, "fluorobox studies --worklist marks the demonstration model's results")
    with sqlite3.connect(os.path.join(data, "store.sqlite")) as db:
        feedback = db.execute("SELECT verdict, comment FROM feedback").fetchall()
        queued = db.execute("SELECT COUNT(*) FROM outboxItem WHERE kind = 'feedback' AND destination = 'platform'").fetchone()[0]
    check(("disagree", "browser test verdict") in feedback and ("agree", None) in feedback, f"verdicts stored: {feedback}")
    check(queued == 2, f"verdicts queued for the platform: {queued}")
    with sqlite3.connect(os.path.join(data, "store.sqlite")) as db:
        retries = db.execute("SELECT COUNT(*) FROM auditEvent WHERE kind = 'analysis.retried' AND message LIKE 'technician (panel)%'").fetchone()[0]
    check(retries == 2, f"both retries audited as the technician on the panel: {retries}")
    print(f"screenshots in {SHOTS}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def browse_https(binary, data, work, options):
    """The panel with a device certificate, reached by the box's LAN address (not localhost):
    HTTPS only on that port, the Secure session cookie kept, the fingerprint on the device page."""
    host = lan_address() or "127.0.0.1"
    cert, key, fingerprint = make_certificate(work, host)
    agent, port = start_agent(binary, data, FLUOROBOX_PANEL_BIND_ADDRESS="0.0.0.0",
                              FLUOROBOX_PANEL_TLS_CERTIFICATE=cert, FLUOROBOX_PANEL_TLS_KEY=key)
    options.add_argument("--ignore-certificate-errors")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    base = f"https://{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=10) as plain:
            plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            plain.settimeout(10)
            try:
                answer = plain.recv(64)
            except OSError:
                answer = b""
        check(not answer.startswith(b"HTTP/1.1 200"), f"plain HTTP is not served on the HTTPS port ({answer[:20]!r})")
        log_in(driver, base, "technician")
        check(driver.current_url == base + "/status", f"logged in over HTTPS at {host} ({driver.current_url})")
        driver.get(base + "/device")
        check(fingerprint in text(driver), "the device page shows the certificate's SHA-256 fingerprint")
        shot(driver, "en-device-https")
        status = subprocess.run([binary, "status", "--data-dir", data], capture_output=True, text=True,
                                env=dict(os.environ, FLUOROBOX_PANEL_TLS_CERTIFICATE=cert, FLUOROBOX_PANEL_TLS_KEY=key)).stdout
        check(fingerprint in status, "fluorobox status shows the certificate's fingerprint")
        driver.find_element(By.ID, "logout").click()
        wait_for(driver, "password")
        driver.get(base + "/status")
        check(driver.current_url.startswith(base + "/login"), "logged out over HTTPS")
    finally:
        driver.quit()
        agent.terminate()
        agent.wait(timeout=30)


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait_for(driver, element_id, seconds=60):
    """Waits for the next page's element after a form was sent."""
    WebDriverWait(driver, seconds).until(expected_conditions.presence_of_element_located((By.ID, element_id)))


def text(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def log_in(driver, base, role, login_path="/login"):
    driver.get(base + login_path)
    driver.find_element(By.CSS_SELECTOR, f"#role option[value='{role}']").click()
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[role])
    driver.find_element(By.ID, "login").click()
    wait_for(driver, "logout")


def browse(driver, base):
    words = {
        "en": {"status": ["Capture sources", "Models", "Intake", "Disk", "Sync", "failures in a row", "Days of capacity left", "chest-phantom-demo"],
               "studies": ["flagged for review", "retake advised", "no findings flagged"],
               "study": ["Findings", "Quality", "Report", "Show overlay"],
               "retake": ["retake advised", "Check that the detector was exposed"],
               "register": ["Next patient", "Register for the next capture"],
               "device": ["Self-test", "Download diagnostics bundle", "Restart the agent"],
               "failed": ["Failed analyses", "pixel data is shorter", "Retry", "Dismiss"], "queued": "Queued again: analysis",
               "banner": "Demonstration build: the demo model key is trusted; not for clinical use",
               "model_banner": "Demonstration model: its findings on real radiographs mean nothing; not for clinical use.",
               "demo_mark": "demonstration model: means nothing",
               "login": "Password", "selftest": "store integrity"},
        "ru": {"status": ["Источники снимков", "Модели", "Поступление", "Диск", "Синхронизация", "сбоев подряд", "Осталось дней до заполнения"],
               "studies": ["требует внимания врача", "рекомендуется пересъёмка", "находок не отмечено"],
               "study": ["Находки", "Качество", "Отчёт", "Показать разметку"],
               "retake": ["рекомендуется пересъёмка", "Проверьте, что детектор экспонирован"],
               "register": ["Следующий пациент", "Зарегистрировать для следующего снимка"],
               "device": ["Самопроверка", "Скачать пакет диагностики", "Перезапустить службы агента"],
               "failed": ["Анализы с ошибкой", "pixel data is shorter", "Повторить", "Скрыть"], "queued": "Снова в очереди: анализ",
               "banner": "Демонстрационная сборка: доверен демонстрационный ключ моделей; не для клинического применения",
               "model_banner": "Демонстрационная модель: её находки на реальных снимках ничего не значат; не для клинического применения.",
               "demo_mark": "демонстрационная модель: ничего не значит",
               "login": "Пароль", "selftest": "store integrity"},
    }
    # Not logged in: every page sends the browser to the login page.
    for path in ("/status", "/studies", "/register", "/device"):
        driver.get(base + path)
        check(driver.current_url.startswith(base + "/login"), f"{path} without login goes to the login page")
    for language in ("en", "ru"):
        expected = words[language]
        driver.get(base + f"/lang/{language}?back=%2Flogin")
        check(expected["login"] in text(driver), f"[{language}] login page")
        # The agent trusts the demo key (FLUOROBOX_INFERENCE_TRUST_DEMO_KEY above): every page says so.
        check(expected["banner"] in text(driver), f"[{language}] login page shows the demonstration build banner")
        # The shipped demo model is active: every page says its findings mean nothing.
        check(expected["model_banner"] in text(driver), f"[{language}] login page shows the demonstration model banner")
        shot(driver, f"{language}-login")
        # Technician: status, registration, device. A `next` that a browser would read as another
        # origin (a tab after the slash is dropped: //evil.example) lands on this panel instead.
        log_in(driver, base, "technician", "/login?next=%2F%09%2Fevil.example%2F")
        check(driver.current_url.startswith(base + "/"), f"[{language}] login with a foreign next stays on the panel ({driver.current_url})")
        check(driver.current_url.endswith("/status"), f"[{language}] technician lands on the status page")
        # Logging out takes the form's POST with its token; opening /logout does nothing.
        driver.get(base + "/logout")
        driver.get(base + "/status")
        check(driver.current_url.endswith("/status"), f"[{language}] GET /logout leaves the session")
        body = text(driver)
        for word in expected["status"]:
            check(word in body, f"[{language}] status page shows {word!r}")
        banner = driver.find_elements(By.ID, "demo-model-banner")
        check(banner and expected["model_banner"] in banner[0].text and "chest-phantom-demo@" in banner[0].text,
              f"[{language}] the status page's banner names the active demonstration model")
        check(driver.find_elements(By.CSS_SELECTOR, "#models .demo-mark"), f"[{language}] the status page marks the model as a demonstration")
        shot(driver, f"{language}-demo-model-banner")
        error = driver.find_element(By.CSS_SELECTOR, "[data-live='error-platform']").text
        check(error not in ("", "—") and "fail" in driver.find_element(By.CSS_SELECTOR, "[data-live='error-platform']").get_attribute("class"),
              f"[{language}] the failing destination's current error is shown ({error!r})")
        unsent = driver.find_element(By.CSS_SELECTOR, "[data-live='backlog-platform']").text
        check(unsent.isdigit() and int(unsent) > 0, f"[{language}] the failing destination's backlog is shown ({unsent!r})")
        shot(driver, f"{language}-status")
        driver.execute_script("document.getElementById('sync').scrollIntoView()")
        check(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
              f"[{language}] the status page fits the window's width")
        shot(driver, f"{language}-status-sync")
        driver.set_window_size(800, 1280)
        check(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
              f"[{language}] the status page fits a 10-inch tablet held upright")
        shot(driver, f"{language}-status-tablet")
        driver.set_window_size(1280, 800)
        driver.get(base + "/register")
        check(expected["model_banner"] in text(driver), f"[{language}] registration page shows the demonstration model banner")
        driver.find_element(By.ID, "patientID").send_keys(f"REG-{language}")
        driver.find_element(By.ID, "family").send_keys("Kuznetsova")
        driver.find_element(By.ID, "register").click()
        wait_for(driver, "notice")
        body = text(driver)
        for word in expected["register"]:
            check(word in body, f"[{language}] registration page shows {word!r}")
        check(f"Kuznetsova (REG-{language})" in body, f"[{language}] registration recorded")
        shot(driver, f"{language}-register")
        driver.get(base + "/device")
        driver.find_element(By.ID, "run-selftest").click()
        wait_for(driver, "selftest-verdict")
        body = text(driver)
        check(expected["model_banner"] in body, f"[{language}] device page shows the demonstration model banner")
        for word in expected["device"]:
            check(word in body, f"[{language}] device page shows {word!r}")
        check(expected["selftest"] in body, f"[{language}] self-test ran")
        shot(driver, f"{language}-device")
        retry_failed_analysis(driver, base, language, expected)
        driver.find_element(By.ID, "logout").click()
        wait_for(driver, "password")
        check(driver.current_url.startswith(base + "/login"), f"[{language}] logout goes to the login page")
        driver.get(base + "/status")
        check(driver.current_url.startswith(base + "/login"), f"[{language}] logged out for real")
        # Doctor: worklist, each study, a verdict.
        log_in(driver, base, "doctor")
        driver.get(base + "/studies")
        body = text(driver)
        check(expected["model_banner"] in body, f"[{language}] worklist shows the demonstration model banner")
        for word in expected["studies"]:
            check(word in body, f"[{language}] worklist shows {word!r}")
        rows = driver.find_elements(By.CSS_SELECTOR, "tr.study")
        check(len(rows) == 4, f"[{language}] four studies listed ({len(rows)})")
        first = rows[0].text if rows else ""
        check(expected["studies"][0] in first or expected["studies"][1] in first, f"[{language}] a flagged or retake study comes first")
        shot(driver, f"{language}-studies")
        # A 10-inch tablet held upright.
        driver.set_window_size(800, 1280)
        shot(driver, f"{language}-studies-tablet")
        driver.set_window_size(1280, 800)
        links = [(row.text, row.find_element(By.TAG_NAME, "a").get_attribute("href")) for row in rows]
        for index, (row_text, href) in enumerate(links):
            driver.get(href)
            body = text(driver)
            check(expected["model_banner"] in body, f"[{language}] study page shows the demonstration model banner")
            if expected["studies"][0] in row_text:
                for word in expected["study"]:
                    check(word in body, f"[{language}] flagged study shows {word!r}")
                findings = driver.find_elements(By.CSS_SELECTOR, ".legend .finding")
                marked = [f for f in findings if expected["demo_mark"] in f.text]
                check(findings and len(marked) == len(findings), f"[{language}] every finding is marked as a demonstration model's ({len(marked)} of {len(findings)})")
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.CSS_SELECTOR, ".legend"))
                shot(driver, f"{language}-study-demo-marks")
                driver.execute_script("window.scrollTo(0, 0)")
                toggle = driver.find_element(By.CSS_SELECTOR, "[data-overlay-toggle]")
                image = driver.find_element(By.CSS_SELECTOR, ".viewer img")
                plain = image.get_attribute("src")
                toggle.click()
                check(image.get_attribute("src") != plain, f"[{language}] the overlay toggle switches the image")
                time.sleep(0.5)
                check(driver.execute_script("return arguments[0].naturalWidth", image) > 0, f"[{language}] the overlay image loads")
                shot(driver, f"{language}-study-flagged-overlay")
                verdict = "disagree" if language == "en" else "agree"
                driver.find_element(By.CSS_SELECTOR, f"input[name=verdict][value={verdict}]").click()
                if language == "en":
                    driver.find_element(By.ID, "comment").send_keys("browser test verdict")
                driver.find_element(By.ID, "send-feedback").click()
                wait_for(driver, "notice")
                check(len(driver.find_elements(By.ID, "notice")) == 1, f"[{language}] verdict recorded")
                shot(driver, f"{language}-study-flagged-verdict")
            elif "ORLOVA" in row_text:
                shot(driver, f"{language}-study-failed")
            elif expected["retake"][0] in row_text:
                for word in expected["retake"]:
                    check(word in body, f"[{language}] rejected study shows {word!r}")
                shot(driver, f"{language}-study-retake")
            else:
                image = driver.find_element(By.CSS_SELECTOR, ".viewer img")
                check(driver.execute_script("return arguments[0].naturalWidth", image) > 0, f"[{language}] the normal study's image loads")
                shot(driver, f"{language}-study-normal")
        driver.find_element(By.ID, "logout").click()
        wait_for(driver, "password")


def retry_failed_analysis(driver, base, language, expected):
    """The status page's count leads to the failed analyses; Retry queues the cut-short image
    again, the agent fails it again at once and it is listed again (for the next language)."""
    driver.get(base + "/status")
    check(expected["banner"] in text(driver), f"[{language}] status page shows the demonstration build banner")
    link = driver.find_element(By.ID, "failed-analyses")
    check(link.text == "1", f"[{language}] the status page counts one failed analysis ({link.text!r})")
    link.click()
    wait_for(driver, "failed-list")
    body = text(driver)
    for word in expected["failed"]:
        check(word in body, f"[{language}] failed analyses page shows {word!r}")
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.failed-analysis")
    check(len(rows) == 1, f"[{language}] one failed analysis listed ({len(rows)})")
    if not rows:
        return
    analysis = rows[0].get_attribute("data-analysis")
    shot(driver, f"{language}-failed-analyses")
    driver.find_element(By.ID, f"retry-{analysis}").click()
    wait_for(driver, "notice")
    notice = driver.find_element(By.ID, "notice").text
    check(notice == f"{expected['queued']} {analysis}", f"[{language}] the retry is confirmed ({notice!r})")
    shot(driver, f"{language}-failed-analyses-retried")
    deadline = time.time() + 60
    while time.time() < deadline:
        driver.get(base + "/analyses/failed")
        if driver.find_elements(By.CSS_SELECTOR, f"tr[data-analysis='{analysis}']"):
            break
        time.sleep(0.5)
    check(driver.find_elements(By.CSS_SELECTOR, f"tr[data-analysis='{analysis}']"),
          f"[{language}] the retried analysis ran again and failed again")


if __name__ == "__main__":
    main()
