/* Swagger UI on /api/v1/openapi.json (`liveroom/api/openapi.py`), from this server's own
   copy. "Try it out" acts as the signed-in admin: their session cookie goes along, and the
   page's CSRF token with it, as the officer's phone sends it. */
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.document,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null,  // (its default asks a server elsewhere)
    requestInterceptor: function (request) {
      request.headers["X-CSRF-Token"] = root.dataset.csrf;
      return request;
    },
  });
})();
