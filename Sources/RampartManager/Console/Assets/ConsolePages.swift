/// The console's two HTML pages. No inline script or style: the Content-Security-Policy
/// (`default-src 'self'`) allows only /console/app.js and /console/app.css.
enum ConsoleAssets {
    static let loginPage = #"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Rampart — sign in</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/console/app.css"></head>
        <body data-page="login">
        <main class="login">
          <h1>Rampart</h1>
          <form id="login-form">
            <label>User <input id="user" name="user" autocomplete="username" required></label>
            <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
            <button id="sign-in" type="submit">Sign in</button>
            <p id="login-error" class="error" role="alert"></p>
          </form>
        </main>
        <script src="/console/app.js"></script>
        </body></html>
        """#

    static let application = #"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Rampart console</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/console/app.css"></head>
        <body data-page="app">
        <header>
          <a class="brand" href="/console/">Rampart</a>
          <nav><a href="/console/">Map</a> <a id="nav-logins" href="/console/logins" hidden>Logins</a></nav>
          <span id="who"></span> <button id="sign-out" type="button">Sign out</button>
        </header>
        <section id="map-view" hidden>
          <form id="filters" class="filters">
            <label>Namespace <select id="filter-ns"><option value="">all</option></select></label>
            <label>Application <input id="filter-app" placeholder="e.g. postgresql or web"></label>
            <span id="map-status" class="status"></span>
          </form>
          <p class="legend"><span class="allowed">allowed</span> <span class="denied">denied</span> <span class="threat">threat</span>
            <span id="flow-note"></span></p>
          <div id="map-frame"><svg id="map" xmlns="http://www.w3.org/2000/svg"></svg></div>
        </section>
        <section id="workload-view" hidden>
          <h2 id="workload-title"></h2>
          <form id="at-form" class="filters"><label>Tags at <input id="at" placeholder="2026-11-23T14:02:00Z"></label>
            <button type="submit">Show</button></form>
          <table id="pods"><thead><tr><th>Pod</th><th>Addresses</th><th>Node</th><th>Tags now</th><th>Tags then</th></tr></thead><tbody></tbody></table>
          <h3>Connections</h3>
          <table id="workload-edges"><thead><tr><th>From</th><th>To</th><th>Verdict</th><th>Allowed</th><th>Denied</th><th>Threats</th><th>Applications</th></tr></thead><tbody></tbody></table>
        </section>
        <section id="logins-view" hidden>
          <h2>Sign-ins</h2>
          <table id="logins"><thead><tr><th>Time</th><th>User</th><th>Client</th><th>Event</th><th>Detail</th></tr></thead><tbody></tbody></table>
        </section>
        <script src="/console/app.js"></script>
        </body></html>
        """#

    static let style = #"""
        body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
        header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #1d2330; color: #fff; }
        header a { color: #fff; text-decoration: none; } header nav { flex: 1; } .brand { font-weight: 700; }
        section { padding: 1em; } .filters { display: flex; gap: 1em; align-items: center; margin-bottom: .5em; }
        .login { max-width: 20em; margin: 10vh auto; background: #fff; padding: 2em; border-radius: 6px; }
        .login label { display: block; margin: .5em 0; } .login input { width: 100%; box-sizing: border-box; }
        .error { color: #b00020; } .status { color: #667; }
        #map-frame { overflow: auto; background: #fff; border: 1px solid #dde; max-height: 80vh; }
        svg .ns-box { fill: #eef1f6; stroke: #c9d0dc; } svg .ns-label { font-weight: 700; fill: #334; }
        svg .cluster-label { font-size: 16px; font-weight: 700; fill: #1d2330; }
        svg .workload rect { fill: #fff; stroke: #7a8699; rx: 4; } svg .workload text { fill: #1d2330; font-size: 12px; }
        svg .workload:hover rect { stroke: #1d2330; stroke-width: 2; }
        svg .edge { fill: none; stroke-width: 2; opacity: .8; }
        .allowed, svg .edge.allowed { color: #2e7d32; stroke: #2e7d32; } .denied, svg .edge.denied { color: #e08600; stroke: #e08600; }
        .threat, svg .edge.threat { color: #c62828; stroke: #c62828; }
        .legend span { margin-right: 1em; font-weight: 600; }
        table { border-collapse: collapse; background: #fff; } td, th { border: 1px solid #dde; padding: .3em .6em; vertical-align: top; text-align: left; }
        td.tags { font-family: ui-monospace, monospace; font-size: 12px; } .added { color: #2e7d32; } .removed { color: #c62828; text-decoration: line-through; }
        """#
}
