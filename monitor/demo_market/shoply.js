// Shoply, the demo market's single-page storefront: the HTML is an empty shell and everything a
// crawler wants (titles, prices, images, sellers) exists only after this script has fetched the
// JSON API and built the DOM. Listing text is written with textContent, never as HTML.
(function () {
  "use strict";

  var app = document.getElementById("app");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function formatPrice(price, currency) {
    var symbols = { EUR: "€", USD: "$", GBP: "£" };
    return symbols[currency] ? symbols[currency] + price : price + " " + currency;
  }

  function fail(message) {
    app.textContent = "";
    app.appendChild(el("p", { "class": "error" }, message));
  }

  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" } }).then(function (res) {
      if (!res.ok) { throw new Error("HTTP " + res.status); }
      return res.json();
    });
  }

  function renderSearch() {
    var params = new URLSearchParams(window.location.search);
    var q = params.get("q") || "";
    var page = params.get("page") || "1";
    getJSON("/shoply/api/search?q=" + encodeURIComponent(q) + "&page=" + encodeURIComponent(page))
      .then(function (data) {
        app.textContent = "";
        document.title = "“" + data.query + "” – Shoply";
        app.appendChild(el("h2", { "class": "summary" }, data.total + " results for “" + data.query + "”"));
        var list = el("ul", { "class": "results" });
        data.results.forEach(function (r) {
          var li = el("li", { "class": "result" });
          var link = el("a", { "class": "result-link", "href": r.url });
          link.appendChild(el("img", { "src": r.image, "alt": "", "loading": "lazy", "width": "120", "height": "120" }));
          link.appendChild(el("span", { "class": "result-title" }, r.title));
          li.appendChild(link);
          li.appendChild(el("span", { "class": "result-price" }, formatPrice(r.price, r.currency)));
          list.appendChild(li);
        });
        app.appendChild(list);
        var nav = el("nav", { "class": "pagination" });
        if (data.prev) { nav.appendChild(el("a", { "rel": "prev", "href": data.prev }, "‹ Previous")); }
        nav.appendChild(el("span", {}, " Page " + data.page + " of " + data.pages + " "));
        if (data.next) { nav.appendChild(el("a", { "rel": "next", "href": data.next }, "Next ›")); }
        app.appendChild(nav);
      })
      .catch(function (err) { fail("Search failed: " + err.message); });
  }

  function renderItem(id) {
    getJSON("/shoply/api/item/" + encodeURIComponent(id))
      .then(function (item) {
        app.textContent = "";
        document.title = item.title + " – Shoply";
        var product = el("article", { "class": "product", "itemscope": "", "itemtype": "https://schema.org/Product" });
        product.appendChild(el("h1", { "itemprop": "name" }, item.title));
        var gallery = el("div", { "class": "gallery" });
        item.images.forEach(function (src, i) {
          gallery.appendChild(el("img", { "itemprop": "image", "src": src, "alt": i === 0 ? item.title : "", "width": "400", "height": "400" }));
        });
        product.appendChild(gallery);
        if (item.sku) { product.appendChild(el("meta", { "itemprop": "sku", "content": item.sku })); }
        var offer = el("div", { "class": "offer", "itemprop": "offers", "itemscope": "", "itemtype": "https://schema.org/Offer" });
        var price = el("p", { "class": "price" });
        price.appendChild(el("span", { "itemprop": "price", "content": item.price }, formatPrice(item.price, item.currency)));
        price.appendChild(el("meta", { "itemprop": "priceCurrency", "content": item.currency }));
        offer.appendChild(price);
        offer.appendChild(el("link", { "itemprop": "availability", "href": "https://schema.org/" + item.availability }));
        var seller = el("p", { "class": "seller", "itemprop": "seller", "itemscope": "", "itemtype": "https://schema.org/Organization" });
        seller.appendChild(document.createTextNode("Sold by "));
        seller.appendChild(el("span", { "itemprop": "name" }, item.seller.name));
        offer.appendChild(seller);
        product.appendChild(offer);
        product.appendChild(el("div", { "class": "description", "itemprop": "description" }, item.description));
        app.appendChild(product);
      })
      .catch(function (err) { fail("This item could not be loaded: " + err.message); });
  }

  var path = window.location.pathname;
  var match = path.match(/^\/shoply\/item\/([^\/]+)$/);
  if (match) {
    renderItem(decodeURIComponent(match[1]));
  } else if (path === "/shoply/search" || path === "/shoply/" || path === "/shoply") {
    renderSearch();
  } else {
    fail("Page not found");
  }
})();
