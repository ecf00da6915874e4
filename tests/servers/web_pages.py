"""A small web site on localhost: articles, feeds, catalogues, product images and a product-data API.

Pages: `/articles/coffee` (an <article> among a menu, a cookie notice and a footer, with <meta name="author">
and a publication date), `/articles/plain.txt` (text/plain), `/script-only` (a page whose text is all
script), `/missing` (404), `/gone` (410), `/private` (403), `/data.json` (JSON), `/photo.png` (an image).
Redirects: `/redirect/start` → `/redirect/middle` → `/articles/coffee` (302, then a relative 301),
`/loop/a` ↔ `/loop/b`, and `/chain/<n>` which takes n hops to the article. Size: `/huge` (about 300 KB,
with Content-Length) and `/huge-chunked` (the same, chunked, no length).

Feeds: `/feeds/rss.xml` (RSS 2.0: items out of date order, one undated, one with a relative link and one
whose description is a bare headline), `/feeds/atom.xml` (Atom 1.0 with HTML content), `/feeds/empty.xml`
(a channel without items), `/feeds/lol.xml` (billion laughs) and `/feeds/page.html` (a web page).

Catalogues: `/catalogue.csv` and `/catalogue.json` (relative and absolute image addresses, prices in
several notations), and `/images/<name>.png|.jpg`, real images made with Pillow.

Product API (ScrapingDog's Amazon product endpoint): `GET /amazon/product?api_key=KEY&asin=ID&domain=com`
answers the documented fields (title, price, average_rating, feature_bullets, images, url); a wrong key
is 401, an unknown ASIN 404, and the ASIN `BAD` a 400 whose message echoes the request with its key.
"""

from __future__ import annotations

import io
import json
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from PIL import Image

from tests.servers.harness import ProtocolServer, Request, Response, Route, _handler_for

API_KEY = "sd-test-key-4711"

ARTICLE = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>The history of coffee | Example News</title>
<meta name="author" content="Ada Lovelace">
<meta property="article:published_time" content="2024-03-15T09:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience on our site. Accept all cookies to
continue reading.</div>
<article>
<h1>The history of coffee</h1>
<p class="byline">By Ada Lovelace, <time datetime="2024-03-15">15 March 2024</time></p>
<p>Coffee was first cultivated in Yemen in the 15th century, where Sufi monks drank it to stay awake
at night.</p>
<p>By the 16th century coffee had reached Persia, Egypt, Syria and Turkey, and coffee houses opened
in Mecca.</p>
<p>The first coffee house in Europe opened in Venice in 1645, and London had more than 300 of them
by 1675.</p>
<p>Today Brazil grows about a third of the world's coffee, more than any other country on Earth.</p>
</article>
<aside>Related stories: Tea in China, Cocoa in Mexico.</aside>
<footer>Copyright 2024 Example News. All rights reserved. Privacy policy. Terms of use.</footer>
</body></html>
"""

PLAIN = """Notes on tea

Tea was first drunk in China as a medicine more than four thousand years ago.
The Dutch brought tea to Europe in 1610, and it reached England about fifty years later.
"""

SCRIPT_ONLY = """<!doctype html>
<html><head><title>Loading…</title><script src="/app.js"></script></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
<script>window.render(document.getElementById("root"));</script></body></html>
"""

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Coffee News</title><link>{base}/</link><description>News about coffee</description>
<item>
  <title>Coffee prices reach a ten year high</title>
  <link>{base}/news/prices</link>
  <pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>
  <description>&lt;p&gt;Arabica coffee prices rose to their highest level in ten years on Monday.&lt;/p&gt;
  &lt;p&gt;Traders blamed a drought in Brazil, which grows about a third of the world's
  coffee.&lt;/p&gt;</description>
</item>
<item>
  <title>Vietnam expands its robusta harvest this season</title>
  <link>/news/vietnam</link>
  <pubDate>Tue, 05 Mar 2024 10:00:00 +0100</pubDate>
  <description>Vietnam harvested 29 million bags of robusta coffee in the last season,
  a new record.</description>
</item>
<item>
  <title>Roasters meet in Berlin for the annual coffee fair</title>
  <link>{base}/news/fair</link>
  <pubDate>Fri, 16 Feb 2024 08:30:00 GMT</pubDate>
  <description>Read more</description>
</item>
<item>
  <title>Undated notes from the archive</title>
  <link>{base}/news/archive</link>
  <description>The first espresso machine was patented in Turin by Angelo Moriondo in 1884.</description>
</item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Tea Journal</title><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
<updated>2024-04-02T12:00:00Z</updated>
<link href="{base}/"/>
<entry>
  <title>Matcha comes from shaded tea leaves</title>
  <link href="{base}/tea/matcha"/>
  <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
  <updated>2024-04-02T12:00:00Z</updated>
  <content type="html">&lt;p&gt;Farmers shade matcha tea plants for about three weeks before
  the harvest.&lt;/p&gt; &lt;p&gt;The leaves are steamed, dried and ground into a fine green powder
  in stone mills.&lt;/p&gt;</content>
</entry>
<entry>
  <title>Darjeeling's first flush</title>
  <link href="{base}/tea/darjeeling"/>
  <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b</id>
  <updated>2024-03-20T08:00:00Z</updated>
  <summary>The first flush of Darjeeling tea is picked in March after the winter rest of the plants.</summary>
</entry>
</feed>
"""

EMPTY_RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Quiet</title><link>https://example.org/</link>
<description>Nothing yet</description></channel></rss>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>
"""

CATALOGUE_CSV = """Name,Price,Rating,Features,Image URL,Affiliate Link
Aeropress Go,$39.95,4.7/5,Packs into its own mug; Brews in a minute,images/aeropress.png,https://shop.example/aeropress?tag=rf-20
Hario V60,"1,299.00 JPY",★4.5,Cone with spiral ribs|Paper filters,{base}/images/v60.jpg,https://shop.example/v60?tag=rf-20
Moka Pot,"19,99 €",9/10,Stovetop,,
"""

CATALOGUE_JSON = [
    {
        "title": "Chemex Classic",
        "cost": 47.5,
        "currency": "USD",
        "stars": "4.8 out of 5 stars",
        "highlights": ["Hand-blown glass", "Thick bonded filters"],
        "photo": "/images/chemex.png",
        "url": "https://shop.example/chemex",
    },
    {"title": "French Press", "cost": "$24", "stars": 4.2, "highlights": "Steel mesh filter"},
]

PRODUCTS = {
    "B07YVL6XFM": {
        "title": "Fellow Stagg EKG Electric Kettle",
        "price": "$165.00",
        "list_price": "$195.00",
        "average_rating": 4.6,
        "total_ratings": 5310,
        "feature_bullets": [
            "Variable temperature control from 135 to 212 degrees Fahrenheit",
            "Pour-over spout for a precise flow",
            "Hold mode keeps water at temperature for an hour",
        ],
        "images": ["{base}/images/kettle.jpg", "{base}/images/kettle-side.jpg"],
        "url": "https://www.amazon.com/dp/B07YVL6XFM",
        "brand": "Fellow",
        "availability_status": "In Stock",
    },
    "B000LITTLE": {
        "product_title": "Plain Filter Papers",
        "product_price": "4.99",
        "average_rating": "4.1 out of 5 stars",
        "main_image": "{base}/images/filters.png",
    },
}


def image_bytes(fmt: str, color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    """A real PNG or JPEG: a colour field with a darker band, so decoders and thumbnails have something."""
    picture = Image.new("RGB", size, color)
    band = tuple(channel // 2 for channel in color)
    for x in range(size[0]):
        for y in range(size[1] // 3, size[1] // 2):
            picture.putpixel((x, y), band)
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


class _QuietServer(ThreadingHTTPServer):
    """A client that stops reading a page over its size cap resets the connection: that is no error here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class WebPagesServer(ProtocolServer):
    """Articles, feeds, catalogues, images and a ScrapingDog-style product API on one local site."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.images = {
            "aeropress.png": ("image/png", image_bytes("PNG", (200, 40, 40))),
            "chemex.png": ("image/png", image_bytes("PNG", (40, 160, 60))),
            "filters.png": ("image/png", image_bytes("PNG", (230, 230, 220))),
            "v60.jpg": ("image/jpeg", image_bytes("JPEG", (40, 60, 200))),
            "kettle.jpg": ("image/jpeg", image_bytes("JPEG", (20, 20, 20))),
            "kettle-side.jpg": ("image/jpeg", image_bytes("JPEG", (90, 90, 90))),
        }
        super().__init__()

    def start(self) -> WebPagesServer:
        """Serve as the harness does, without a traceback for clients that hang up early."""
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __enter__(self) -> WebPagesServer:
        return self.start()

    def register(self) -> None:
        """Every page, feed, catalogue, image and the product API."""
        html = "text/html; charset=utf-8"
        self.static("/articles/coffee", ARTICLE, html)
        self.static("/articles/plain.txt", PLAIN, "text/plain; charset=utf-8")
        self.static("/script-only", SCRIPT_ONLY, html)
        self.static("/missing", "<html><body><h1>Not Found</h1></body></html>", html, status=404)
        self.static("/gone", "<html><body><h1>Gone</h1></body></html>", html, status=410)
        self.static("/private", "<html><body><h1>Forbidden</h1></body></html>", html, status=403)
        self.static("/data.json", json.dumps({"coffee": [1, 2, 3]}), "application/json")
        self.route("GET", "/photo.png", lambda r, f: Response(self.images["aeropress.png"][1], "image/png"))
        self.redirect("/redirect/start", "/redirect/middle", 302)
        self.redirect("/redirect/middle", "/articles/coffee", 301)
        self.redirect("/loop/a", "/loop/b", 302)
        self.redirect("/loop/b", "/loop/a", 302)
        self.route("GET", "/chain/", self._chain)
        self.route("GET", "/huge", self._huge)
        self.route("GET", "/feeds/rss.xml", self._template(RSS, "application/rss+xml"))
        self.route("GET", "/feeds/atom.xml", self._template(ATOM, "application/atom+xml"))
        self.static("/feeds/empty.xml", EMPTY_RSS, "application/rss+xml")
        self.static("/feeds/lol.xml", BILLION_LAUGHS, "application/xml")
        self.static("/feeds/page.html", ARTICLE, html)
        self.route("GET", "/catalogue.csv", self._template(CATALOGUE_CSV, "text/csv; charset=utf-8"))
        self.static("/catalogue.json", json.dumps({"products": CATALOGUE_JSON}), "application/json")
        self.static("/catalogue-page.csv", ARTICLE, html)
        self.route("GET", "/images/", self._image)
        self.route("GET", "/amazon/product", self._product)

    def static(self, path: str, body: str, content_type: str, status: int = 200) -> None:
        """Serve a fixed body at `path`."""
        self.route("GET", path, lambda request, fault: Response(body.encode(), content_type, status))

    def redirect(self, path: str, location: str, status: int) -> None:
        """Answer `path` with a redirect to `location` (as given: relative stays relative)."""
        self.route(
            "GET", path, lambda request, fault: Response(b"", "text/html", status, {"Location": location})
        )

    def _template(self, text: str, content_type: str) -> Route:
        def serve(request: Request, fault: str | None) -> Response:
            return Response(text.replace("{base}", self.url).encode(), content_type)

        return serve

    def _chain(self, request: Request, fault: str | None) -> Response:
        hops = int(request.path.rsplit("/", 1)[-1] or 0)
        location = "/articles/coffee" if hops <= 1 else f"/chain/{hops - 1}"
        return Response(b"", "text/html", 302, {"Location": location})

    def _huge(self, request: Request, fault: str | None) -> Response:
        sentence = "Coffee is grown in more than seventy countries around the equator. "
        paragraph = "<p>" + sentence * 40 + "</p>\n"
        body = ("<html><body><article>" + paragraph * 110 + "</article></body></html>").encode()
        if request.path == "/huge-chunked":
            size = 16 * 1024
            return Response(b"", "text/html", chunks=[body[i : i + size] for i in range(0, len(body), size)])
        return Response(body, "text/html")

    def _image(self, request: Request, fault: str | None) -> Response:
        name = request.path.rsplit("/", 1)[-1]
        if name not in self.images:
            return Response(b"no such image", "text/plain", 404)
        content_type, data = self.images[name]
        return Response(data, content_type)

    def _product(self, request: Request, fault: str | None) -> Response:
        key = request.query.get("api_key", [""])[-1]
        asin = request.query.get("asin", [""])[-1]
        if key != self.api_key:
            return Response.json(
                {"success": False, "message": "Unauthorized request, please make sure your API key is valid"},
                status=401,
            )
        if asin == "BAD":
            echoed = f"/amazon/product?api_key={key}&asin={asin}"
            return Response.json({"success": False, "message": f"invalid asin in {echoed}"}, status=400)
        if asin not in PRODUCTS:
            return Response.json({"success": False, "message": "Product not found"}, status=404)
        text = json.dumps(PRODUCTS[asin]).replace("{base}", self.url)
        return Response(text.encode(), "application/json")
