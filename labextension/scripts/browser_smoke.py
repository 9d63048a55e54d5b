"""Browser smoke test of the kap-notes front end against a running JupyterLab.

Not part of `make test` (it needs a running server with a vault and Debian chromium). Usage:

    KAP_NOTES_VAULT=demo-clinic .venv/bin/jupyter lab --no-browser --port=8899 \
        --IdentityProvider.token=kaptest &
    .venv/bin/python labextension/scripts/browser_smoke.py http://127.0.0.1:8899 kaptest \
        tess tess-demo-passphrase

It checks the status bar, the six launcher tiles, the KAP menu, a wrong passphrase (message shown,
user name kept), unlocking, the Dosing form opening with its cell run, and locking from the status bar.
Screenshots go to the current directory. Creates kap-forms/dosing*.ipynb in the server root.
"""

from __future__ import annotations

import sys

from playwright.sync_api import expect, sync_playwright

TILES = ["Preparation", "Intention", "Dosing", "Integration", "Patient progress", "Review queue"]


def main(base: str, token: str, user: str, passphrase: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/lab?reset&token={token}")
        page.wait_for_selector(".jp-Launcher", timeout=60_000)

        status = page.locator(".kap-VaultStatus")
        if "locked" not in (status.text_content() or ""):
            status.click()  # start from a locked vault
        expect(status).to_have_text("KAP: locked", timeout=20_000)

        section = page.locator(".jp-Launcher-section", has_text="KAP notes")
        assert section.locator(".jp-LauncherCard-label").all_text_contents() == TILES
        page.locator(".lm-MenuBar-itemLabel", has_text="KAP").click()
        expect(page.locator(".lm-Menu-itemLabel", has_text="New Dosing Form")).to_be_visible()
        page.keyboard.press("Escape")

        section.locator(".jp-LauncherCard", has_text="Dosing").click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator("input[type=text]").fill(user)
        dialog.locator("input[type=password]").fill(passphrase + "-wrong")
        dialog.locator("button.jp-mod-accept").click()
        expect(page.locator(".kap-UnlockDialog-error")).to_be_visible(timeout=30_000)
        assert page.locator(".jp-Dialog input[type=text]").input_value() == user
        page.screenshot(path="kap-smoke-unlock-error.png")

        page.locator(".jp-Dialog input[type=password]").fill(passphrase)
        page.keyboard.press("Enter")
        expect(status).to_contain_text(f"KAP: {user} · locks in", timeout=30_000)
        expect(page.locator(".jp-NotebookPanel .jp-OutputArea-output")).to_be_visible(
            timeout=60_000
        )
        page.screenshot(path="kap-smoke-form.png")

        status.click()
        expect(status).to_have_text("KAP: locked", timeout=20_000)
        browser.close()
    print("browser smoke: 1 passed, 0 failed")


if __name__ == "__main__":
    main(*sys.argv[1:5])
