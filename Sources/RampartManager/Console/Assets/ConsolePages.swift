/// The console's two HTML pages (the application's views are sections of the second). No inline script or style: the Content-Security-Policy
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
          <nav><a href="/console/">Map</a> <a href="/console/policy">Policy</a> <a href="/console/logs">Logs</a> <a href="/console/firewalls">Firewalls</a>
            <a id="nav-logins" href="/console/logins" hidden>Logins</a></nav>
          <span id="who"></span> <button id="sign-out" type="button">Sign out</button>
        </header>
        <section id="map-view" hidden>
          <form id="filters" class="filters">
            <label>Namespace <select id="filter-ns"><option value="">all</option></select></label>
            <label>Application <input id="filter-app" placeholder="e.g. postgresql or web"></label>
            <label>Connections of the last <select id="filter-minutes"><option value="5">5 minutes</option><option value="15">15 minutes</option>
              <option value="60">hour</option><option value="240">4 hours</option><option value="1440">day</option></select></label>
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
          <h3>Connections <span id="workload-window" class="status"></span></h3>
          <table id="workload-edges"><thead><tr><th>From</th><th>To</th><th>Verdict</th><th>Allowed</th><th>Denied</th><th>Threats</th><th>Applications</th></tr></thead><tbody></tbody></table>
          <h3>Rules that matched them</h3>
          <table id="workload-rules"><thead><tr><th>Rule</th><th>Allowed</th><th>Denied</th><th>Threats</th></tr></thead><tbody></tbody></table>
          <h3>Newest records <a id="workload-logs-link" href="/console/logs">(search)</a></h3>
          <table id="workload-records" class="records"><thead><tr><th>Time</th><th>Event</th><th>Action</th><th>Rule</th><th>Application</th><th>Source</th><th>Destination</th></tr></thead><tbody></tbody></table>
        </section>
        <section id="policy-view" hidden>
          <h2>Policy <span id="policy-head" class="status"></span></h2>
          <form id="policy-filters" class="filters">
            <label>Target <input id="policy-target" size="10" placeholder="all or a group"></label>
            <label>Hits of the last <select id="policy-minutes"><option value="15">15 minutes</option><option value="60" selected>hour</option>
              <option value="1440">day</option></select></label>
            <button type="submit">Show</button>
          </form>
          <table id="policy-rules"><thead><tr><th>Rule</th><th>Action</th><th>Line</th><th>Allowed</th><th>Denied</th><th>Threats</th></tr></thead><tbody></tbody></table>
          <h3>Edit and commit</h3>
          <textarea id="policy-text" rows="18" cols="100" spellcheck="false"></textarea>
          <div class="filters"><label>Message <input id="policy-message" size="50"></label>
            <button id="policy-validate" type="button">Validate</button> <button id="policy-commit" type="button">Commit</button></div>
          <p id="policy-result" role="status"></p>
          <pre id="policy-output" class="diff"></pre>
          <h3>Commits</h3>
          <table id="policy-commits"><thead><tr><th>Commit</th><th>Target</th><th>Time</th><th>Author</th><th>Message</th><th>Source</th><th>Rules</th></tr></thead><tbody></tbody></table>
          <pre id="commit-diff" class="diff"></pre>
        </section>
        <section id="logs-view" hidden>
          <h2>Logs</h2>
          <form id="logs-form" class="filters wrap">
            <label>Since <input name="since" value="1h" size="5"></label><label>From <input name="from" size="20"></label>
            <label>To <input name="to" size="20"></label><label>Cluster <input name="cluster" size="8"></label>
            <label>Namespace <input name="ns" size="10"></label><label>Pod <input name="pod" size="16"></label>
            <label>Workload <input name="workload" size="16"></label><label>Tag <input name="tag" size="16"></label>
            <label>Address <input name="address" size="14"></label><label>Port <input name="port" size="5"></label>
            <label>Application <input name="app" size="10"></label><label>Rule <input name="rule" size="12"></label>
            <label>Action <input name="action" size="8"></label><label>Event <input name="event" size="8"></label>
            <label>Firewall <input name="firewall" size="10"></label><label>Limit <input name="limit" value="100" size="5"></label>
            <button type="submit">Search</button>
          </form>
          <p id="logs-status" class="status" role="status"></p>
          <table id="logs-records" class="records"><thead><tr><th>Time</th><th>Firewall</th><th>Event</th><th>Action</th><th>Rule</th><th>Application</th><th>Source</th><th>Destination</th></tr></thead><tbody></tbody></table>
        </section>
        <section id="firewalls-view" hidden>
          <h2>Firewalls</h2>
          <table id="firewalls"><thead><tr><th>Firewall</th><th>Admin</th><th>Clusters</th><th>Reachable</th><th>Commit</th><th>Sessions</th><th>Share</th><th>Error</th></tr></thead><tbody></tbody></table>
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
        svg .edge { fill: none; stroke-width: 3; } svg .arrow.allowed { fill: #2e7d32; } svg .arrow.denied { fill: #e08600; } svg .arrow.threat { fill: #c62828; }
        .allowed, svg .edge.allowed { color: #2e7d32; stroke: #2e7d32; } .denied, svg .edge.denied { color: #e08600; stroke: #e08600; }
        .threat, svg .edge.threat { color: #c62828; stroke: #c62828; }
        .legend span { margin-right: 1em; font-weight: 600; }
        table { border-collapse: collapse; background: #fff; } td, th { border: 1px solid #dde; padding: .3em .6em; vertical-align: top; text-align: left; }
        .wrap { flex-wrap: wrap; } textarea { font-family: ui-monospace, monospace; font-size: 12px; width: 100%; box-sizing: border-box; }
        pre.diff { background: #fff; border: 1px solid #dde; padding: .5em; max-height: 40vh; overflow: auto; } pre.diff:empty { display: none; }
        pre.diff .add { color: #2e7d32; } pre.diff .del { color: #c62828; } pre.diff .hunk { color: #667; }
        .records td { font-size: 12px; } tr.selectable { cursor: pointer; } tr.selectable:hover { background: #eef1f6; } .muted { color: #889; }
        td.tags { font-family: ui-monospace, monospace; font-size: 12px; } .added { color: #2e7d32; } .removed { color: #c62828; text-decoration: line-through; }
        """#
}
