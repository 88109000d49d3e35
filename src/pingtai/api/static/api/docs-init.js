// validatorUrl null: Swagger UI would otherwise send the schema to validator.swagger.io.
(function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    layout: "BaseLayout",
    persistAuthorization: false,
  });
})();
