import pytest

from tests.browser.helpers import LONG, settle

pytestmark = pytest.mark.browser

def test_debug(page, server):
    page.goto(server["url"] + "/Territoire?epci=248000531")
    page.locator(".ptce-key").first.wait_for(timeout=LONG)
    settle(page)
    for k in page.locator(".ptce-key").all():
        print(k.evaluate("e => e.outerHTML")[:1500])
    print(page.locator(".ptce-key").first.evaluate("e => e.parentElement.outerHTML.slice(0, 300)"))
