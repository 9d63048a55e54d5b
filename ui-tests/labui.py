"""What a clinician does in JupyterLab, as Playwright steps: the status bar, the unlock dialog,
launcher tiles, KAP form tabs (no notebook: ``.kap-FormPanel``), and the ipywidgets of a
kap-notes form found by their visible labels."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import BrowserContext, Locator, Page, Playwright, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

if TYPE_CHECKING:
    from labharness import RunDirs

#: Debian's chromium, never a downloaded browser (see DESIGN.md "Jupyter integration").
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}


def launch_chromium(playwright: Playwright, dirs: RunDirs, **options: Any) -> BrowserContext:
    """Debian's chromium (never a downloaded browser), headless, with the run's own profile and
    environment; ``options`` go to ``launch_persistent_context`` as they are."""
    return playwright.chromium.launch_persistent_context(
        str(dirs.browser_profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
        env=dirs.env(),
        **options,
    )


def first_page(context: BrowserContext) -> Page:
    """The page a persistent context opened with (a new one if it opened none)."""
    return context.pages[0] if context.pages else context.new_page()


#: Kernel start + first widget render can be slow on a busy machine.
WIDGET_TIMEOUT = 90_000


class Shots:
    """Numbered screenshots of each step, kept in ``ui-tests/artifacts/<test>/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.page: Page | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, page: Page | None = None, *, full_page: bool = False) -> Path:
        target = page or self.page
        assert target is not None, "no page to photograph"
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        target.screenshot(path=str(path), full_page=full_page)
        return path


# -- the lab shell -----------------------------------------------------------------------------
def status_item(page: Page) -> Locator:
    return page.locator(".kap-VaultStatus")


#: True once JupyterLab has restored its layout and activated the main area's current tab
#: (it takes the focus then, about 3 s after a page load on 2 cores — typing begun before lands
#: nowhere or, in a dialog, in its first field).
_MAIN_AREA_ACTIVE = (
    "() => document.querySelector('#jp-main-dock-panel')?.contains(document.activeElement)"
)


def settle(page: Page) -> None:
    """Wait (up to 15 s, without failing) until the restored layout has taken the focus."""
    # nothing taking the focus by then (e.g. an empty main area): nothing will steal it either
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(_MAIN_AREA_ACTIVE, timeout=15_000)


def open_lab(page: Page, url: str) -> None:
    page.goto(url)
    expect(status_item(page)).to_be_visible(timeout=60_000)
    expect(status_item(page)).not_to_have_text("KAP: …", timeout=30_000)
    settle(page)


def reload(page: Page) -> None:
    """Reload the page and wait until JupyterLab has settled, as :func:`open_lab` does."""
    page.reload()
    expect(status_item(page)).to_be_visible(timeout=60_000)
    settle(page)


def submit_unlock_dialog(page: Page, user: str, passphrase: str) -> Locator:
    """Fill the open unlock dialog and press Unlock; answers the dialog locator."""
    dialog = page.locator(".jp-Dialog").filter(has=page.locator(".kap-UnlockDialog"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("User name").fill(user)
    dialog.get_by_label("Passphrase").fill(passphrase)
    dialog.get_by_role("button", name="Unlock").click()
    return dialog


def unlock(page: Page, user: str, passphrase: str) -> None:
    """Click the status bar item and unlock as ``user``; waits for the status to name them."""
    expect(status_item(page)).to_have_text("KAP: locked")
    status_item(page).click()
    dialog = submit_unlock_dialog(page, user, passphrase)
    expect(dialog).to_be_hidden()
    expect(status_item(page)).to_have_text(re.compile(rf"^KAP: {user} · locks in \d+ min$"))


def confirm_dialog(page: Page) -> Locator:
    """JupyterLab's own passphrase dialog for a kernel's sign/addendum/co-sign/return request."""
    return page.locator(".jp-Dialog").filter(has=page.locator(".kap-ConfirmDialog"))


def confirm_with_passphrase(
    page: Page, passphrase: str, question: str | re.Pattern[str] | None = None
) -> Locator:
    """Answer the confirmation dialog (checking its question); answers the dialog locator."""
    dialog = confirm_dialog(page)
    expect(dialog).to_be_visible(timeout=30_000)
    if question is not None:
        expect(dialog.locator(".kap-ConfirmDialog-question")).to_have_text(question)
    field = dialog.get_by_label("Passphrase")
    field.fill(passphrase)
    expect(field).to_have_value(passphrase)  # typed where it was meant to go
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    return dialog


def launcher(page: Page) -> Locator:
    """The launcher (opening a new one if no launcher tab is showing)."""
    found = page.locator(".jp-Launcher:visible")
    if found.count() == 0:
        page.keyboard.press("Control+Shift+L")
    expect(found.first).to_be_visible(timeout=30_000)
    return found.first


def click_tile(page: Page, title: str) -> Locator:
    """Click a KAP launcher tile; answers the form tab's panel that opens."""
    tile = (
        launcher(page)
        .locator(".jp-LauncherCard")
        .filter(
            has=page.locator(
                ".jp-LauncherCard-label", has_text=re.compile(rf"^{re.escape(title)}$")
            )
        )
    )
    expect(tile).to_have_count(1, timeout=30_000)
    tile.click()
    return current_form(page)


def current_tab(page: Page) -> Locator:
    """The current document tab of the main area."""
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")


def current_form(page: Page) -> Locator:
    """The KAP form tab showing in the main area (a form, a note, progress, the queue)."""
    panel = page.locator(".kap-FormPanel:visible")
    expect(panel).to_have_count(1, timeout=60_000)
    return panel


def kap_panel(page: Page) -> Locator:
    """The KAP panel in the left side bar (its tab toggles it: clicked only when closed)."""
    panel = page.locator("#kap-notes-panel")
    if not panel.is_visible():
        page.locator('.jp-SideBar li[data-id="kap-notes-panel"]').click()
    expect(panel).to_be_visible()
    return panel


def run_command(page: Page, command: str, args: dict[str, object] | None = None) -> None:
    """Run a JupyterLab command (needs ``--LabApp.expose_app_in_browser=True``)."""
    page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)",
        [command, args or {}],
    )


def current_notebook(page: Page) -> Locator:
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel).to_have_count(1, timeout=60_000)
    return panel


def open_path(page: Page, server_url: str, token: str, path: str) -> Locator:
    """Open a file by its path (JupyterLab's /lab/tree/<path> URL); answers its panel."""
    page.goto(f"{server_url}/lab/tree/{path}?token={token}")
    expect(status_item(page)).to_be_visible(timeout=60_000)
    expect(current_tab(page)).to_contain_text(Path(path).name, timeout=60_000)
    return current_notebook(page)


# -- ipywidgets, found by the labels the form shows --------------------------------------------
def _label_pattern(label: str) -> re.Pattern[str]:
    # "Dose (mg) *" matches "Dose" but "Dose per kg body weight (mg/kg)" does not.
    return re.compile(rf"^\s*{re.escape(label)}(\s*\(.*\))?(\s*\*)?\s*$")


class WidgetForm:
    """A kap-notes form (or view) rendered in a notebook output area."""

    def __init__(self, page: Page, root: Locator) -> None:
        self.page = page
        self.root = root

    def row(self, label: str, nth: int = 0) -> Locator:
        """The field row whose visible label is ``label`` (nth among rows with that label)."""
        rows = self.root.locator(".widget-hbox:visible").filter(
            has=self.page.locator(
                "xpath=./div[contains(@class, 'widget-html')]", has_text=_label_pattern(label)
            )
        )
        return rows.nth(nth)

    def text(self, label: str, value: str, nth: int = 0) -> Locator:
        """Type into a text/textarea/combobox field and leave it (the widget syncs on change)."""
        control = self.row(label, nth).locator("input, textarea").first
        if control.get_attribute("type") == "datetime-local":
            value = value.replace(" ", "T")  # the picker takes YYYY-MM-DDTHH:MM
        control.fill(value)
        control.press("Tab") if control.evaluate("e => e.tagName") == "INPUT" else control.blur()
        return control

    def choose(self, label: str, option: str, nth: int = 0) -> None:
        self.row(label, nth).locator("select").select_option(label=option)

    def toggle(self, label: str, option: str, nth: int = 0) -> None:
        exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
        button = self.row(label, nth).locator("button").filter(has_text=exact)
        button.click()
        expect(button).to_have_class(re.compile(r"mod-active"))

    def computed(self, label: str) -> Locator:
        """The value shown by a computed item."""
        return self.row(label).locator(".widget-html").nth(1)

    def button(self, name: str, nth: int = 0) -> Locator:
        # Not get_by_role: Font Awesome icons add a glyph to the button's accessible name.
        exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
        return self.root.locator("button:visible").filter(has_text=exact).nth(nth)

    def described(self, description: str, nth: int = 0) -> Locator:
        """A widget labelled by its own ipywidgets description (Passphrase, Addendum, Comment)."""
        return self.root.get_by_label(description, exact=True).nth(nth)

    def type_described(self, description: str, value: str, nth: int = 0) -> Locator:
        control = self.described(description, nth)
        control.fill(value)
        control.blur()
        return control


def form_in(page: Page, panel: Locator) -> WidgetForm:
    """The widget area of a form tab (or a notebook's output), once the kernel rendered it."""
    root = panel.locator(".kap-FormPanel-view, .jp-OutputArea-output").first
    expect(root.locator(".jupyter-widgets").first).to_be_visible(timeout=WIDGET_TIMEOUT)
    return WidgetForm(page, root)


def pick_patient(page: Page, form: WidgetForm, label: str) -> None:
    """Choose a patient in the picker; waits for the form heading."""
    picker = form.root.locator(".widget-dropdown").filter(
        has=page.locator("label", has_text="Patient")
    )
    picker.locator("select").first.select_option(label=label)
