// Starts GraphiQL against this server's own endpoints. The page has no inline script (its
// Content-Security-Policy allows none), so the settings come from data attributes.
(function () {
  "use strict";
  var mount = document.getElementById("explorer");
  var socketScheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: mount.dataset.endpoint,
    subscriptionUrl: socketScheme + "//" + window.location.host + mount.dataset.subscriptions,
  });
  var welcome = [
    "# The partner network API.",
    "#",
    "# Public data needs no sign-in. To act as a user, run the login mutation and put",
    '# {"Authorization": "Bearer <accessToken>"} in the Headers tab below; the same',
    "# header signs in subscriptions too.",
    "",
    "{ regions { name } }",
    "",
  ].join("\n");
  ReactDOM.createRoot(mount).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: welcome,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
