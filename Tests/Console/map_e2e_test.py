#!/usr/bin/env python3
"""The console's half of the manager's end-to-end test (scripts/manager-control-e2e.sh): a
real browser (Debian's headless Chromium through chromedriver) signs in to the console of
the manager that just committed a policy, saw it enforced by a real firewall and stored the
flows the firewall shipped; the map must show the two workloads and the edge between them,
allowed in green and denied in amber, both in the DOM and in the pixels of a screenshot.
Then the workload page (its rules with hits, its records), log search, and the policy page
(rules with hits, a commit's diff, validate, commit from the browser) are checked.

Usage (run by the e2e script inside the manager's network namespace):
  map_e2e_test.py --console http://localhost:9693 --user ops --password-file F \
      --edge lab/shop/client lab/shop/web --allowed-rule allow-web --denied-rule deny-web \
      [--commit-file policy.yaml] [--screenshot out.png]
Exit 0 when every check passed; prints one line per check.
"""
import argparse, os, re, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_test import check, failures, png_rows, request, wait_for  # noqa: E402

# The stroke colours of app.css: allowed, denied, threat.
COLOURS = {"allowed": (0x2E, 0x7D, 0x32), "denied": (0xE0, 0x86, 0x00), "threat": (0xC6, 0x28, 0x28)}


def pixels_near(rows, bpp, box, colour, tolerance=40):
    """How many pixels inside `box` (x0, y0, x1, y1, device pixels) are within `tolerance`
    of `colour` in every channel."""
    x0, y0, x1, y1 = box
    count = 0
    for y in range(max(0, y0), min(len(rows), y1 + 1)):
        line = rows[y]
        for x in range(max(0, x0), min(len(line) // bpp, x1 + 1)):
            p = line[x * bpp:x * bpp + 3]
            if all(abs(p[i] - colour[i]) <= tolerance for i in range(3)):
                count += 1
    return count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--console", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--edge", nargs=2, required=True, metavar=("FROM", "TO"))
    ap.add_argument("--allowed-rule", required=True)
    ap.add_argument("--denied-rule", required=True)
    ap.add_argument("--commit-file", help="a policy to validate and commit from the policy page")
    ap.add_argument("--screenshot", help="where to keep the map's screenshot")
    args = ap.parse_args()
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise SystemExit("python3-selenium is missing: run scripts/setup.sh, and this script with Debian's /usr/bin/python3")
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: run scripts/setup.sh")
    password = open(args.password_file).read().strip()
    base = args.console.rstrip("/")
    source, destination = args.edge
    work = tempfile.mkdtemp(prefix="rampart-console-e2e-")
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800",
                 "--force-device-scale-factor=1", f"--user-data-dir={work}/chromium"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        started = time.time()
        driver.get(f"{base}/console/login")
        driver.find_element(By.ID, "user").send_keys(args.user)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "sign-in").click()
        wait_for(lambda: driver.current_url.endswith("/console/"), 15, "the map after signing in")

        # The map: both workloads and the edge in both verdicts, from the log store.
        edge = f"path.edge[data-from='{source}'][data-to='{destination}']"
        wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, edge)) >= 2, 20, f"the edges {source} → {destination}")
        print(f"      sign-in to the map with its edges: {time.time() - started:.2f} s", flush=True)
        workloads = {e.get_attribute("data-workload") for e in driver.find_elements(By.CSS_SELECTOR, "[data-workload]")}
        check({source, destination} <= workloads, f"the map shows both workloads ({sorted(workloads)})")
        strokes = {e.get_attribute("data-verdict"): int(e.get_attribute("data-count")) for e in driver.find_elements(By.CSS_SELECTOR, edge)}
        check(strokes.get("allowed", 0) >= 1 and strokes.get("denied", 0) >= 1,
              f"the edge {source} → {destination} has allowed and denied connections ({strokes})")
        status = driver.find_element(By.ID, "map-status").text
        edges_counted = re.search(r"(\d+) edges", status)
        check(edges_counted is not None and int(edges_counted.group(1)) >= 1, f"the status counts the edge ({status})")

        # The pixels: each stroke's box in the screenshot holds its verdict's colour.
        png = driver.get_screenshot_as_png()
        if args.screenshot:
            open(args.screenshot, "wb").write(png)
        boxes = {}
        for element in driver.find_elements(By.CSS_SELECTOR, edge):
            r = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];", element)
            boxes[element.get_attribute("data-verdict")] = tuple(int(v) for v in (r[0] - 2, r[1] - 2, r[2] + 2, r[3] + 2))
        last = max(b[3] for b in boxes.values())
        last = max(last, int(driver.execute_script("return document.getElementById('map').getBoundingClientRect().bottom")))
        width, height, bpp, rows = png_rows(png, last_row=last)
        for verdict in ("allowed", "denied"):
            count = pixels_near(rows, bpp, boxes[verdict], COLOURS[verdict])
            check(count >= 20, f"the screenshot shows the {verdict} stroke in its colour ({count} pixels near #{bytes(COLOURS[verdict]).hex()} in {boxes[verdict]})")
        frame = driver.execute_script("const r = document.getElementById('map').getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];")
        threat = pixels_near(rows, bpp, tuple(int(v) for v in frame), COLOURS["threat"])
        check(threat < 20, f"no threat colour anywhere on the map ({threat} pixels): no threat crossed")

        # The workload page: its rules with hit counts and its records.
        driver.get(f"{base}/console/workload?id={destination}")
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#workload-rules tbody tr"), 15, "the workload's rules")
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#workload-records tbody tr"), 15, "the workload's records")
        rules = {r.get_attribute("data-rule"): r.text for r in driver.find_elements(By.CSS_SELECTOR, "#workload-rules tbody tr")}
        check(args.allowed_rule in rules and args.denied_rule in rules, f"the workload page names the rules that matched ({sorted(rules)})")
        records = driver.find_element(By.ID, "workload-records").text
        check(source.split("/")[1] in records and "deny" in records, "the workload page lists its records, the denied one among them")

        # Log search with the CLI's filters.
        driver.get(f"{base}/console/logs?ns={source.split('/')[1]}&action=deny&since=1h")
        wait_for(lambda: "records" in driver.find_element(By.ID, "logs-status").text, 15, "the log search")
        found = driver.find_elements(By.CSS_SELECTOR, "#logs-records tbody tr")
        check(len(found) >= 1 and all(r.get_attribute("data-action") == "deny" for r in found),
              f"log search finds the denied flows and only those ({len(found)})")
        check(args.denied_rule in found[0].text if found else False, "the denied record names its rule")

        # The policy page: rules with hits, a commit's diff, validate, commit.
        driver.get(f"{base}/console/policy")
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#policy-rules tbody tr"), 15, "the policy's rules")
        wait_for(lambda: driver.find_element(By.ID, "policy-text").get_attribute("value"), 15, "the head's text in the editor")
        rule_rows = {r.get_attribute("data-rule"): r.find_elements(By.TAG_NAME, "td") for r in driver.find_elements(By.CSS_SELECTOR, "#policy-rules tbody tr")}
        allowed = rule_rows.get(args.allowed_rule)
        check(allowed is not None and int(allowed[3].text) >= 1, f"the policy page counts {args.allowed_rule}'s allowed hits ({allowed and allowed[3].text})")
        denied = rule_rows.get(args.denied_rule)
        check(denied is not None and int(denied[4].text) >= 1, f"and {args.denied_rule}'s denied hits ({denied and denied[4].text})")
        commits = driver.find_elements(By.CSS_SELECTOR, "#policy-commits tbody tr")
        check(len(commits) >= 3, f"the commit history is listed ({len(commits)})")
        oldest_deny = [c for c in commits if "deny" in c.text]
        if oldest_deny:
            oldest_deny[-1].click()
            wait_for(lambda: driver.find_element(By.ID, "commit-diff").text, 10, "a commit's diff")
            check(f"+    - {{name: {args.denied_rule}" in driver.find_element(By.ID, "commit-diff").text, "a commit's diff shows its added rule")
        if args.commit_file:
            text = open(args.commit_file).read()
            editor = driver.find_element(By.ID, "policy-text")
            driver.execute_script("arguments[0].value = arguments[1]", editor, "explode: [\n")
            driver.find_element(By.ID, "policy-validate").click()
            wait_for(lambda: driver.find_element(By.ID, "policy-result").text, 10, "validation of a broken text")
            check("not valid" in driver.find_element(By.ID, "policy-result").text and "policy.yaml:" in driver.find_element(By.ID, "policy-output").text,
                  "an invalid text is refused with file:line")
            driver.execute_script("arguments[0].value = arguments[1]", editor, text)
            driver.find_element(By.ID, "policy-validate").click()
            wait_for(lambda: driver.find_element(By.ID, "policy-result").text.startswith("valid"), 10, "validation")
            check("+" in driver.find_element(By.ID, "policy-output").text, "validating shows the diff against the newest commit")
            driver.find_element(By.ID, "policy-message").send_keys("from the console")
            driver.find_element(By.ID, "policy-commit").click()
            wait_for(lambda: "committed as commit" in driver.find_element(By.ID, "policy-result").text, 15, "the commit")
            result = driver.find_element(By.ID, "policy-result").text
            check(True, f"committed from the browser ({result})")
            print("COMMITTED " + result.split()[-1], flush=True)
            # The same POST with the session cookie but without the CSRF token is refused.
            cookie = "rampart_session=" + driver.get_cookie("rampart_session")["value"]
            code, body = request(f"{base}/console/api/policy/commits?message=x", "POST", text.encode(), {"Cookie": cookie})
            check(code == 403 and "CSRF" in body, f"a commit without the CSRF token is refused ({code})")
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} console checks failed")
        sys.exit(1)
    print("all console end-to-end checks passed")


if __name__ == "__main__":
    main()
