extension ConsoleAssets {
    /// The console's one script: plain JavaScript, no build step, no library. Data reaches
    /// the page only through textContent and attributes (never innerHTML), so a pod or label
    /// name cannot inject markup.
    static let script = #"""
        "use strict";
        const SVG = "http://www.w3.org/2000/svg";
        function el(tag, attrs, text) {
          const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
          if (text !== undefined) node.textContent = text;
          return node;
        }
        function cookie(name) {
          for (const part of document.cookie.split(";")) {
            const [k, v] = part.trim().split("=");
            if (k === name) return v;
          }
          return "";
        }
        let csrf = "", flowMinutes = 15;
        async function api(path, options) {
          const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
          if (opts.method && opts.method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
          const reply = await fetch(path, opts);
          if (reply.status === 401) { location.href = "/console/login"; throw new Error("signed out"); }
          const body = await reply.json();
          if (!reply.ok) throw new Error(body.error || reply.statusText);
          return body;
        }

        // Sign-in page
        function loginPage() {
          document.getElementById("login-form").addEventListener("submit", async (event) => {
            event.preventDefault();
            const error = document.getElementById("login-error");
            error.textContent = "";
            const reply = await fetch("/console/api/login", {
              method: "POST", credentials: "same-origin",
              headers: { "Content-Type": "application/json", "X-CSRF-Token": cookie("rampart_login") },
              body: JSON.stringify({ user: document.getElementById("user").value, password: document.getElementById("password").value }),
            });
            if (reply.ok) { location.href = "/console/"; return; }
            const body = await reply.json().catch(() => ({}));
            error.textContent = body.error || ("sign-in failed (" + reply.status + ")");
          });
        }

        // The map: one column per namespace, workloads stacked in name order; rows of columns
        // wrap at the frame's width. Deterministic: the same map draws the same picture.
        const COLUMN = 230, ROW = 30, BOX_W = 200, BOX_H = 24, HEAD = 28;
        function drawMap(map) {
          const svg = document.getElementById("map");
          svg.replaceChildren();
          const width = Math.max(COLUMN * 2, document.getElementById("map-frame").clientWidth - 20);
          const perRow = Math.max(1, Math.floor(width / COLUMN));
          const where = {};
          let y = 10, widest = 0;
          const nodes = el("svg:g"), edges = el("svg:g");
          // Arrowheads, one per verdict's colour, at the destination's end of each stroke.
          const defs = el("svg:defs");
          for (const kind of ["allowed", "denied", "threat"]) {
            const marker = el("svg:marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse" });
            marker.append(el("svg:path", { d: "M0,0 L10,5 L0,10 z", class: "arrow " + kind }));
            defs.append(marker);
          }
          svg.append(defs, edges, nodes);
          for (const cluster of map.clusters) {
            nodes.append(el("svg:text", { x: 10, y: y + 16, class: "cluster-label" }, "cluster " + cluster.name));
            y += 26;
            for (let i = 0; i < cluster.namespaces.length; i += perRow) {
              const row = cluster.namespaces.slice(i, i + perRow);
              const tallest = Math.max(...row.map((ns) => ns.workloads.length));
              row.forEach((ns, column) => {
                const x = 10 + column * COLUMN;
                const g = el("svg:g", { class: "namespace", "data-namespace": ns.name });
                g.append(el("svg:rect", { x, y, width: COLUMN - 16, height: HEAD + ns.workloads.length * ROW + 6, class: "ns-box", rx: 6 }));
                g.append(el("svg:text", { x: x + 8, y: y + 18, class: "ns-label" }, ns.name));
                ns.workloads.forEach((w, index) => {
                  const top = y + HEAD + index * ROW;
                  const link = el("svg:a", { href: "/console/workload?id=" + encodeURIComponent(w.id), class: "workload", "data-workload": w.id });
                  link.append(el("svg:rect", { x: x + 7, y: top, width: BOX_W, height: BOX_H }));
                  const label = w.name.length > 22 ? w.name.slice(0, 21) + "…" : w.name;
                  // A workload known only from the log store's records has no pod count.
                  link.append(el("svg:text", { x: x + 14, y: top + 16 }, label + (w.kind === "logged" ? "  (logs)" : "  ×" + w.pods)));
                  link.append(el("svg:title", {}, w.id + " (" + w.kind + ", " + w.pods + " pods" + (w.apps.length ? ", app " + w.apps.join(",") : "") + ")"));
                  g.append(link);
                  where[w.id] = { x: x + 7, y: top + BOX_H / 2 };
                });
                nodes.append(g);
                widest = Math.max(widest, x + COLUMN);
              });
              y += HEAD + tallest * ROW + 20;
            }
          }
          // One stroke per verdict the connections had (allowed green, denied amber, threat
          // red), side by side, so a pair with both allowed and denied sessions shows both.
          for (const e of map.edges) {
            const a = where[e.from], b = where[e.to];
            if (!a || !b) continue;
            const kinds = [["allowed", e.allowed], ["denied", e.denied], ["threat", e.threats]].filter(([, n]) => n > 0);
            kinds.forEach(([kind, count], index) => {
              const shift = (index - (kinds.length - 1) / 2) * 5;
              let sx = a.x + BOX_W, sy = a.y + shift, tx = b.x, ty = b.y + shift;
              if (e.from === e.to) { tx = a.x + BOX_W; ty = a.y + shift + 6; }
              else if (Math.abs(tx - (a.x)) < 1) { tx = b.x + BOX_W; }   // same column: loop out on the right
              const bend = Math.max(40, Math.abs(tx - sx) / 2);
              const path = el("svg:path", { d: `M${sx},${sy} C${sx + bend},${sy} ${tx - (tx > sx ? bend : -bend)},${ty} ${tx},${ty}`,
                class: "edge " + kind, "data-from": e.from, "data-to": e.to, "data-verdict": kind, "data-count": count,
                "marker-end": `url(#arrow-${kind})` });
              path.append(el("svg:title", {}, `${e.from} → ${e.to}: ${e.allowed} allowed, ${e.denied} denied, ${e.threats} threats ${e.applications.join(",")}`));
              edges.append(path);
            });
          }
          svg.setAttribute("width", Math.max(widest, 300));
          svg.setAttribute("height", y + 10);
          const workloads = map.clusters.reduce((n, c) => n + c.namespaces.reduce((m, ns) => m + ns.workloads.length, 0), 0);
          document.getElementById("map-status").textContent = `${workloads} workloads, ${map.pods} pods, ${map.edges.length} edges · updated ${new Date().toLocaleTimeString()}`;
          document.getElementById("flow-note").textContent = map.flows ? "" : "(no log store: connections are not shown)";
        }

        let source = null;
        function mapView() {
          document.getElementById("map-view").hidden = false;
          const ns = document.getElementById("filter-ns"), app = document.getElementById("filter-app");
          const minutes = document.getElementById("filter-minutes");
          const params = new URLSearchParams(location.search);
          app.value = params.get("app") || "";
          const wantedMinutes = params.get("minutes") || String(flowMinutes);
          if (![...minutes.options].some((o) => o.value === wantedMinutes)) minutes.append(el("option", { value: wantedMinutes }, wantedMinutes + " minutes"));
          minutes.value = wantedMinutes;
          const remember = () => history.replaceState(null, "", "?" + new URLSearchParams({ ns: ns.value, app: app.value, minutes: minutes.value }));
          const wanted = params.get("ns") || "";
          function listen() {
            if (source) source.close();
            const query = new URLSearchParams({ ns: ns.value || wanted, app: app.value, minutes: minutes.value }).toString();
            source = new EventSource("/console/api/events?" + query);
            source.addEventListener("map", (event) => {
              const map = JSON.parse(event.data);
              drawMap(map);
              if (!ns.value && !wanted) {
                const names = new Set();
                for (const c of map.clusters) for (const n of c.namespaces) names.add(n.name);
                const have = new Set([...ns.options].map((o) => o.value));
                for (const n of [...names].sort()) if (!have.has(n)) ns.append(el("option", { value: n }, n));
              }
            });
          }
          for (const control of [ns, app, minutes]) control.addEventListener("change", () => { remember(); listen(); });
          document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());
          if (wanted) { ns.append(el("option", { value: wanted }, wanted)); ns.value = wanted; }
          listen();
        }

        function tagCell(tags, other) {
          const td = el("td", { class: "tags" });
          for (const t of tags) td.append(el("div", { class: other && !other.includes(t) ? "added" : "" }, t));
          return td;
        }
        async function workloadView() {
          document.getElementById("workload-view").hidden = false;
          const params = new URLSearchParams(location.search);
          const id = params.get("id") || "";
          document.getElementById("at").value = params.get("at") || "";
          document.getElementById("at-form").addEventListener("submit", (e) => {
            e.preventDefault();
            location.search = "?" + new URLSearchParams({ id, at: document.getElementById("at").value });
          });
          const w = await api("/console/api/workload?" + new URLSearchParams({ id, at: params.get("at") || "", minutes: params.get("minutes") || "" }));
          document.getElementById("workload-title").textContent = `${w.name} in ${w.namespace} (cluster ${w.cluster})` + (w.at ? " — tags at " + w.at : "");
          const body = document.querySelector("#pods tbody");
          for (const p of w.pods) {
            const tr = el("tr", { "data-pod": p.name });
            tr.append(el("td", {}, p.name), el("td", {}, p.addresses.join(", ")), el("td", {}, p.node || ""));
            tr.append(tagCell(p.tags, p.tagsThen), p.tagsThen ? tagCell(p.tagsThen, p.tags) : el("td", {}, "—"));
            body.append(tr);
          }
          document.getElementById("workload-window").textContent = `(last ${w.minutes} minutes)`;
          const edges = document.querySelector("#workload-edges tbody");
          for (const e of w.edges) {
            const tr = el("tr");
            for (const v of [e.from, e.to, e.verdict, e.allowed, e.denied, e.threats, e.applications.join(", ")]) tr.append(el("td", {}, String(v)));
            tr.children[2].className = e.verdict;
            edges.append(tr);
          }
          const rules = document.querySelector("#workload-rules tbody");
          for (const r of w.rules) {
            const tr = el("tr", { "data-rule": r.name });
            for (const v of [r.name, r.allowed, r.denied, r.threats]) tr.append(el("td", {}, String(v)));
            rules.append(tr);
          }
          const search = { workload: w.namespace + "/" + w.name, since: w.minutes + "m", limit: "50" };
          document.getElementById("workload-logs-link").href = "/console/logs?" + new URLSearchParams(search);
          if (w.pods.length === 0 && !w.edges.length) return;
          try {
            const found = await api("/console/api/logs?" + new URLSearchParams(search));
            fillRecords(document.querySelector("#workload-records tbody"), found.records, false);
          } catch (error) {
            const tr = el("tr");
            tr.append(el("td", { colspan: 7, class: "muted" }, error.message));
            document.querySelector("#workload-records tbody").append(tr);
          }
        }

        function end(e) {
          const who = e.pod || e.workload || "";
          return (who ? who + " " : "") + (e.ip || "") + (e.port !== null && e.port !== undefined ? ":" + e.port : "");
        }
        function fillRecords(body, records, withFirewall) {
          body.replaceChildren();
          for (const r of records) {
            const tr = el("tr", { "data-action": r.action || "" });
            const cells = [r.time, ...(withFirewall ? [r.firewall] : []), r.event_type, r.action || "", r.rule || "", r.app || "", end(r.src), end(r.dest)];
            for (const v of cells) tr.append(el("td", {}, String(v)));
            const verdict = r.event_type === "alert" ? "threat" : /^(deny|drop|reset|block|reject)/.test(r.action || "") ? "denied" : "";
            if (verdict) tr.children[withFirewall ? 3 : 2].className = verdict;
            body.append(tr);
          }
        }

        // Log search: the form's fields are GET /logs's criteria, kept in the address.
        async function logsView() {
          document.getElementById("logs-view").hidden = false;
          const form = document.getElementById("logs-form");
          const params = new URLSearchParams(location.search);
          for (const input of form.elements) if (input.name && params.has(input.name)) input.value = params.get(input.name);
          async function search() {
            const query = new URLSearchParams();
            for (const input of form.elements) if (input.name && input.value.trim()) query.set(input.name, input.value.trim());
            history.replaceState(null, "", "?" + query);
            const status = document.getElementById("logs-status");
            status.textContent = "searching…";
            try {
              const started = performance.now();
              const found = await api("/console/api/logs?" + query);
              fillRecords(document.querySelector("#logs-records tbody"), found.records, true);
              status.textContent = `${found.count} records · ${Math.round(performance.now() - started)} ms`;
            } catch (error) {
              status.textContent = error.message;
              status.className = "error";
            }
          }
          form.addEventListener("submit", (e) => { e.preventDefault(); search(); });
          search();
        }

        function showDiff(pre, text) {
          pre.replaceChildren();
          for (const line of (text || "").split("\n")) {
            const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
            pre.append(el("span", { class: kind }, line + "\n"));
          }
        }

        // Policy: rules with hits, the commits with their diffs, validate and commit.
        async function policyView(role) {
          document.getElementById("policy-view").hidden = false;
          const target = document.getElementById("policy-target"), minutes = document.getElementById("policy-minutes");
          const text = document.getElementById("policy-text"), message = document.getElementById("policy-message");
          const result = document.getElementById("policy-result"), output = document.getElementById("policy-output");
          const params = new URLSearchParams(location.search);
          target.value = params.get("target") || "";
          if (params.get("minutes")) minutes.value = params.get("minutes");
          document.getElementById("policy-commit").disabled = role === "viewer";
          async function load(withText) {
            const page = await api("/console/api/policy?" + new URLSearchParams({ target: target.value, minutes: minutes.value }));
            target.value = page.target;
            document.getElementById("policy-head").textContent = page.head ? `commit ${page.head.id} by ${page.head.author}: ${page.head.message}` : "(no commit yet)";
            const rules = document.querySelector("#policy-rules tbody");
            rules.replaceChildren();
            for (const r of page.rules) {
              const tr = el("tr", { "data-rule": r.name, class: r.inPolicy ? "" : "muted" });
              for (const v of [r.name + (r.inPolicy ? "" : " (not in this commit)"), r.action + (r.disabled ? " (disabled)" : ""), r.line ?? "", r.allowed, r.denied, r.threats]) tr.append(el("td", {}, String(v)));
              rules.append(tr);
            }
            const commits = document.querySelector("#policy-commits tbody");
            commits.replaceChildren();
            for (const c of page.commits) {
              const tr = el("tr", { "data-commit": c.id, class: "selectable", title: "show the diff" });
              for (const v of [c.id, c.target, c.time, c.author, c.message, c.source, c.rules]) tr.append(el("td", {}, String(v)));
              tr.addEventListener("click", async () => {
                const detail = await api("/console/api/policy/commits/" + encodeURIComponent(c.id));
                showDiff(document.getElementById("commit-diff"), `commit ${detail.id} (${detail.author}, ${detail.time}): ${detail.message}\n` + detail.diff);
              });
              commits.append(tr);
            }
            if (withText && page.head) text.value = (await api("/console/api/policy/commits/" + page.head.id)).text;
          }
          async function send(path) {
            result.textContent = ""; result.className = ""; output.replaceChildren();
            const query = new URLSearchParams({ target: target.value });
            if (path === "commits") query.set("message", message.value);
            const reply = await fetch("/console/api/policy/" + path + "?" + query, {
              method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf, "Content-Type": "application/yaml" }, body: text.value });
            const body = await reply.json().catch(() => ({}));
            if (reply.status === 422 || body.valid === false) {
              result.textContent = "not valid:"; result.className = "error";
              output.textContent = (body.errors || []).join("\n");
            } else if (!reply.ok) {
              result.textContent = body.error || reply.statusText; result.className = "error";
            } else if (path === "validate") {
              result.textContent = `valid: ${body.rules} rules` + (body.warnings.length ? `, ${body.warnings.length} warnings` : "") + "; the diff against the newest commit:";
              showDiff(output, [...body.warnings, body.diff].join("\n"));
            } else {
              result.textContent = body.unchanged ? `unchanged: commit ${body.id} holds this text already` : `committed as commit ${body.id}`;
              showDiff(output, body.diff);
              await load(false);
            }
          }
          document.getElementById("policy-validate").addEventListener("click", () => send("validate"));
          document.getElementById("policy-commit").addEventListener("click", () => {
            if (!message.value.trim()) { result.textContent = "give the commit a message"; result.className = "error"; return; }
            send("commits");
          });
          document.getElementById("policy-filters").addEventListener("submit", (e) => { e.preventDefault(); load(false); });
          try { await load(true); } catch (error) { result.textContent = error.message; result.className = "error"; }
        }

        async function loginsView() {
          document.getElementById("logins-view").hidden = false;
          const body = document.querySelector("#logins tbody");
          for (const r of await api("/console/api/logins")) {
            const tr = el("tr");
            for (const v of [r.time, r.user, r.client, r.event, r.detail]) tr.append(el("td", {}, v));
            body.append(tr);
          }
        }

        async function firewallsView() {
          document.getElementById("firewalls-view").hidden = false;
          const body = document.querySelector("#firewalls tbody");
          for (const f of await api("/console/api/firewalls")) {
            const tr = el("tr");
            for (const v of [f.name, f.admin, f.peers, f.reachable ? "yes" : "no", f.commit ?? "-", f.sessions ?? "-"]) tr.append(el("td", {}, String(v)));
            const share = el("td");
            const bar = el("span", { class: "share" });
            bar.style.display = "inline-block";
            bar.style.height = "0.8em";
            bar.style.background = "#2e7d32";
            bar.style.width = `${Math.round(f.share * 100)}px`;
            share.append(bar, el("span", {}, ` ${(f.share * 100).toFixed(1)} %`));
            tr.append(share, el("td", {}, f.error ?? ""));
            body.append(tr);
          }
        }

        async function appPage() {
          const session = await api("/console/api/session");
          csrf = session.csrf;
          flowMinutes = session.flowMinutes;
          document.getElementById("who").textContent = `${session.user} (${session.role})`;
          document.getElementById("nav-logins").hidden = session.role !== "admin";
          document.getElementById("sign-out").addEventListener("click", async () => {
            await api("/console/api/logout", { method: "POST" });
            location.href = "/console/login";
          });
          if (location.pathname === "/console/workload") return workloadView();
          if (location.pathname === "/console/logins") return loginsView();
          if (location.pathname === "/console/policy") return policyView(session.role);
          if (location.pathname === "/console/logs") return logsView();
          if (location.pathname === "/console/firewalls") return firewallsView();
          return mapView();
        }

        if (document.body.dataset.page === "login") loginPage(); else appPage();
        """#
}
