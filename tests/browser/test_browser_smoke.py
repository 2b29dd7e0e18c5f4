"""The browser harness itself: Chromium starts, reaches the live server and renders Korean."""


def test_the_api_docs_render_in_chromium(page, screenshot):
    page.goto("/api/docs/")
    page.wait_for_selector("#swagger-ui .info")
    assert screenshot(page, "api-docs").stat().st_size > 0
