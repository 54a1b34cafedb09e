"""A post read from an instance's RSS shares the same link as through the API: the first
link in its HTML that is not a mention or a hashtag, and only an http(s) one."""

from __future__ import annotations

import httpx

from devfeed.platforms.mastodon import rss_result

ITEM = """<item><guid isPermaLink="true">https://social.example/@ada/1</guid>
<link>https://social.example/@ada/1</link><pubDate>Fri, 27 Nov 2026 10:00:00 +0000</pubDate>
<description>{html}</description></item>"""


def _links(*descriptions: str) -> list[str | None]:
    items = "".join(
        ITEM.replace("@ada/1", f"@ada/{n}").format(html=html.replace("<", "&lt;"))
        for n, html in enumerate(descriptions, start=1)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    request = httpx.Request("GET", "https://social.example/tags/python.rss")
    result = rss_result(httpx.Response(200, content=body.encode(), request=request),
                        hashtag=True, warning=None)  # fmt: skip
    return [entry.link for entry in result.entries]


def test_the_first_plain_link_is_the_shared_link() -> None:
    assert _links(
        '<p><a href="https://social.example/@bob" class="u-url mention">@bob</a> '
        '<a href="https://social.example/tags/python" class="mention hashtag" rel="tag">'
        "#python</a> "
        '<a href="https://blog.example.org/post?utm_source=x">blog.example.org/post</a></p>',
        '<p>no link, <a href="https://social.example/tags/rust" rel="tag">#rust</a></p>',
        '<p><a href="javascript:alert(1)">click</a> <a href="ftp://x.example/f">f</a></p>',
    ) == ["https://blog.example.org/post?utm_source=x", None, None]
