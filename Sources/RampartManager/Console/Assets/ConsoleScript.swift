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
        let csrf = "";
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
          svg.append(el("svg:defs"), edges, nodes);
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
                  link.append(el("svg:text", { x: x + 14, y: top + 16 }, label + "  ×" + w.pods));
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
          for (const e of map.edges) {
            const a = where[e.from], b = where[e.to];
            if (!a || !b) continue;
            const sx = a.x + BOX_W, sy = a.y, tx = b.x, ty = b.y;
            const bend = Math.max(40, Math.abs(tx - sx) / 2);
            const path = el("svg:path", { d: `M${sx},${sy} C${sx + bend},${sy} ${tx - bend},${ty} ${tx},${ty}`,
              class: "edge " + e.verdict, "data-from": e.from, "data-to": e.to });
            path.append(el("svg:title", {}, `${e.from} → ${e.to}: ${e.allowed} allowed, ${e.denied} denied, ${e.threats} threats ${e.applications.join(",")}`));
            edges.append(path);
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
          const params = new URLSearchParams(location.search);
          app.value = params.get("app") || "";
          const wanted = params.get("ns") || "";
          function listen() {
            if (source) source.close();
            const query = new URLSearchParams({ ns: ns.value || wanted, app: app.value }).toString();
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
          ns.addEventListener("change", () => { history.replaceState(null, "", "?" + new URLSearchParams({ ns: ns.value, app: app.value })); listen(); });
          app.addEventListener("change", () => { history.replaceState(null, "", "?" + new URLSearchParams({ ns: ns.value, app: app.value })); listen(); });
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
          const w = await api("/console/api/workload?" + new URLSearchParams({ id, at: params.get("at") || "" }));
          document.getElementById("workload-title").textContent = `${w.name} in ${w.namespace} (cluster ${w.cluster})` + (w.at ? " — tags at " + w.at : "");
          const body = document.querySelector("#pods tbody");
          for (const p of w.pods) {
            const tr = el("tr", { "data-pod": p.name });
            tr.append(el("td", {}, p.name), el("td", {}, p.addresses.join(", ")), el("td", {}, p.node || ""));
            tr.append(tagCell(p.tags, p.tagsThen), p.tagsThen ? tagCell(p.tagsThen, p.tags) : el("td", {}, "—"));
            body.append(tr);
          }
          const edges = document.querySelector("#workload-edges tbody");
          for (const e of w.edges) {
            const tr = el("tr");
            for (const v of [e.from, e.to, e.verdict, e.allowed, e.denied, e.threats, e.applications.join(", ")]) tr.append(el("td", {}, String(v)));
            edges.append(tr);
          }
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

        async function appPage() {
          const session = await api("/console/api/session");
          csrf = session.csrf;
          document.getElementById("who").textContent = `${session.user} (${session.role})`;
          document.getElementById("nav-logins").hidden = session.role !== "admin";
          document.getElementById("sign-out").addEventListener("click", async () => {
            await api("/console/api/logout", { method: "POST" });
            location.href = "/console/login";
          });
          if (location.pathname === "/console/workload") return workloadView();
          if (location.pathname === "/console/logins") return loginsView();
          return mapView();
        }

        if (document.body.dataset.page === "login") loginPage(); else appPage();
        """#
}
