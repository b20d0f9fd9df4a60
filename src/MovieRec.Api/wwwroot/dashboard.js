// MovieRec dashboard: the bundle, its models, the experiments and the charts the service draws (PNG, with SVG links).
"use strict";

const CHARTS = [
  ["ratings", "Rating distribution"],
  ["long-tail", "Ratings per user and per movie (long tail)"],
  ["top-rated", "Top 20 most-rated movies"],
  ["genres", "Movies per genre"],
  ["models", "Model comparison"],
];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function age(created) {
  const seconds = Math.max(0, (Date.now() - new Date(created).getTime()) / 1000);
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

function number(value, digits) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

async function load() {
  const statusNode = document.getElementById("bundle-status");
  try {
    const response = await fetch("/models");
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || body.title || response.statusText);
    statusNode.textContent = "";
    const facts = document.getElementById("bundle");
    const rows = [
      ["Bundle", body.bundleId],
      ["Trained", `${new Date(body.createdAt).toISOString().replace("T", " ").slice(0, 16)} UTC (${age(body.createdAt)})`],
      ["Dataset", body.dataset],
      ["Ratings", body.ratings.toLocaleString("en")],
      ["Users", body.users.toLocaleString("en")],
      ["Movies", body.movies.toLocaleString("en")],
    ];
    const live = body.liveFeedback;
    if (live) {
      rows.push(["Default model", body.defaultModel || "–"]);
      rows.push(["Live feedback", `${live.liveRatings.toLocaleString("en")} ratings from ${live.users.toLocaleString("en")} users (${live.provider}), ` +
        `${live.pendingChanges.toLocaleString("en")} changes since this bundle was trained, last change #${live.lastSequence}`]);
    }
    for (const [name, value] of rows) facts.append(el("dt", {}, name), el("dd", { "data-fact": name.toLowerCase() }, value));
    const tbody = document.querySelector("#models tbody");
    for (const m of body.models) {
      const h = m.holdout;
      tbody.append(el("tr", { "data-model": m.name },
        el("th", { scope: "row" }, m.name),
        el("td", { class: "num" }, number(h?.rmse, 4)), el("td", { class: "num" }, number(h?.mae, 4)),
        el("td", { class: "num" }, number(h?.precisionAtK, 4)), el("td", { class: "num" }, number(h?.ndcgAtK, 4)),
        el("td", { class: "num" }, number(m.fitSeconds, 2)),
        el("td", {}, m.supportsSimilar ? "yes" : "no"), el("td", {}, m.supportsFoldIn ? "fold-in" : "popularity")));
    }
    if (!body.models.some(m => m.holdout)) {
      document.getElementById("models").after(el("p", { class: "muted" }, "No holdout metrics: train with movierec train --eval to record them."));
    }
  } catch (e) {
    statusNode.textContent = `The service has no bundle to show yet: ${e.message}`;
    statusNode.className = "status error";
    statusNode.setAttribute("role", "alert");
  }
  const charts = document.getElementById("charts");
  for (const [name, title] of CHARTS) {
    charts.append(el("figure", { class: "chart" },
      el("img", { src: `/dashboard/charts/${name}.png`, alt: title, width: 800, height: 450, loading: "eager", "data-chart": name }),
      el("figcaption", {}, title, " (", el("a", { href: `/dashboard/charts/${name}.svg` }, "SVG"), ")")));
  }
}

function pValue(p) {
  if (p === null || p === undefined) return "–";
  return p < 1e-4 ? Number(p).toExponential(1) : Number(p).toFixed(4);
}

function percent(x, digits) {
  return x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits ?? 2)}%`;
}

function interval(value, low, high, format) {
  if (value === null || value === undefined) return "–";
  return low === null || low === undefined ? format(value) : `${format(value)} [${format(low)}, ${format(high)}]`;
}

function whole(n) {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en");
}

function experimentState(summary, now) {
  if (summary.active) return ["running", "running"];
  if (summary.end && new Date(summary.end) <= now) return ["finished", "finished"];
  return ["scheduled", "not started"];
}

function table(caption, headers, rows) {
  const head = el("tr", {}, ...headers.map(([text, numeric]) => el("th", { scope: "col", class: numeric ? "num" : null }, text)));
  return el("div", { class: "table-wrap" }, el("table", {},
    el("caption", { class: "sr-only" }, caption), el("thead", {}, head), el("tbody", {}, ...rows)));
}

function experimentCard(summary, r) {
  const [state, stateText] = experimentState(summary, new Date());
  const card = el("article", { class: "experiment", "data-experiment": r.name, "data-state": state, "aria-labelledby": `experiment-${r.name}` });
  card.append(el("h3", { id: `experiment-${r.name}` }, r.name, " ", el("span", { class: `badge ${state}` }, stateText)));
  const kind = r.type === "interleave" ? "interleaving (team draft)" : `A/B, ${r.allocation === "thompson" ? "Thompson sampling" : "fixed weights"}`;
  card.append(el("p", { class: "muted" }, `${kind}; ${whole(r.users)} users; alpha ${r.alpha}; defined in ${summary.source}` +
    (summary.start || summary.end ? `; window ${summary.start ? summary.start.slice(0, 16).replace("T", " ") : "…"} to ${summary.end ? summary.end.slice(0, 16).replace("T", " ") : "…"} UTC` : "")));

  const decision = el("p", { class: `decision ${r.winner ? "won" : ""}`, "data-field": "decision" }, el("strong", {}, "Decision: "), r.decision);
  if (!r.winner && r.usersNeeded) decision.append(` (about ${whole(r.usersNeeded)} users needed for 80% power at the observed effect)`);
  card.append(decision);
  if (!r.minimumReached) {
    card.append(el("p", { class: "muted", "data-field": "minimum" },
      `Waiting for the minimum sample: ${whole(r.minimumUsers)} users per ${r.type === "interleave" ? "experiment" : "variant"} before either test may name a winner.`));
  }
  if (r.sampleRatioWarning) card.append(el("p", { class: "error", role: "alert", "data-field": "srm" }, r.sampleRatioWarning));

  const optionsOf = name => (summary.variants.find(v => v.name === name) || {}).options;
  card.append(table(`Variants of ${r.name}`,
    [["variant"], ["model"], ["weight", true], ["users", true], ["impressions", true], ["clicks", true], ["CTR (95% CI)", true], ["conversions", true]],
    r.variants.map(v => {
      const options = optionsOf(v.name);
      const model = options && Object.keys(options).length > 0
        ? `${v.model} (${Object.entries(options).map(([k, x]) => `${k}=${x}`).join(", ")})` : v.model;
      return el("tr", { "data-variant": v.name },
        el("th", { scope: "row" }, v.name), el("td", {}, model), el("td", { class: "num" }, v.weight),
        el("td", { class: "num", "data-field": "users" }, whole(v.users)), el("td", { class: "num", "data-field": "impressions" }, whole(v.impressions)),
        el("td", { class: "num", "data-field": "clicks" }, whole(v.clicks)),
        el("td", { class: "num", "data-field": "ctr" }, v.impressions > 0 ? interval(v.ctr, v.ctrLow, v.ctrHigh, x => percent(x)) : "–"),
        el("td", { class: "num" }, whole(v.conversions)));
    })));

  if (r.type === "interleave" && r.preference) {
    const p = r.preference;
    const b = r.variants[1]?.name ?? "B";
    card.append(el("p", { "data-field": "preference" }, p.winsA + p.winsB === 0
      ? `No user has preferred either list yet (${whole(p.ties)} ties).`
      : `Preference for ${b}: ${interval(p.shareB, p.low, p.high, x => percent(x, 1))} of ${whole(p.winsA + p.winsB)} users who preferred one list ` +
        `(wins ${r.variants[0]?.name ?? "A"} ${whole(p.winsA)}, ${b} ${whole(p.winsB)}, ${whole(p.ties)} ties); exact binomial p ${pValue(p.pValue)}; ` +
        `mSPRT p ${pValue(r.comparisons[0]?.sequentialPValue)}`));
  } else if (r.comparisons.length > 0) {
    card.append(table(`Treatments of ${r.name} against ${r.comparisons[0].control}`,
      [["treatment vs control"], ["lift (95% CI)", true], ["CTR difference (95% CI)", true], ["p (user-level)", true], ["p (z-test, impressions)", true], ["p (mSPRT, always valid)", true]],
      r.comparisons.map(c => el("tr", { "data-comparison": c.treatment },
        el("th", { scope: "row" }, `${c.treatment} vs ${c.control}`),
        el("td", { class: "num", "data-field": "lift" }, interval(c.lift, c.liftLow, c.liftHigh, x => percent(x, 1))),
        el("td", { class: "num" }, interval(c.difference, c.differenceLow, c.differenceHigh, x => percent(x))),
        el("td", { class: "num", "data-field": "p-user" }, pValue(c.userLevelPValue)),
        el("td", { class: "num", "data-field": "p-z" }, pValue(c.pValue)),
        el("td", { class: "num", "data-field": "p-sequential" }, pValue(c.sequentialPValue))))));
  }
  if (r.sampleRatio) {
    card.append(el("p", { class: "muted", "data-field": "sample-ratio" },
      `Sample ratio check: chi-square ${Number(r.sampleRatio.chiSquare).toFixed(2)}, p ${pValue(r.sampleRatio.pValue)}${r.sampleRatio.mismatch ? " (mismatch)" : " (split as configured)"}.`));
  }
  if (r.thompsonAllocation) {
    card.append(el("p", { class: "muted" }, `Thompson allocation: ${r.variants.map((v, i) => `${v.name} ${percent(r.thompsonAllocation[i], 1)}`).join(", ")}.`));
  }
  if (r.variantModels && r.variantModels.length > 0) {
    card.append(el("p", { class: "muted", "data-field": "variant-models" }, "Variant models: " + r.variantModels.map(m =>
      `${m.variant} ${m.state}${m.state === "ready" ? ` (trained in ${number(m.fitSeconds, 1)} s)` : ""}${m.error ? `: ${m.error}` : ""}`).join("; ") + "."));
  }
  return card;
}

async function loadExperiments() {
  const statusNode = document.getElementById("experiments-status");
  const box = document.getElementById("experiments");
  try {
    const response = await fetch("/experiments");
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || body.title || response.statusText);
    if (body.experiments.length === 0) {
      statusNode.textContent = "No experiments. Configure MovieRec:Experiments or POST /admin/experiments (see the README).";
      return;
    }
    const reports = await Promise.all(body.experiments.map(async summary => {
      const reply = await fetch(`/experiments/${encodeURIComponent(summary.name)}`);
      const report = await reply.json();
      if (!reply.ok) throw new Error(report.detail || report.title || reply.statusText);
      return [summary, report];
    }));
    // Running first, then finished and scheduled, each by name.
    const order = { running: 0, finished: 1, scheduled: 2 };
    reports.sort((x, y) => order[experimentState(x[0], new Date())[0]] - order[experimentState(y[0], new Date())[0]] || x[0].name.localeCompare(y[0].name));
    for (const [summary, report] of reports) box.append(experimentCard(summary, report));
    statusNode.textContent = `${reports.length} experiment${reports.length === 1 ? "" : "s"}.`;
  } catch (e) {
    statusNode.textContent = `Experiments cannot be shown: ${e.message}`;
    statusNode.className = "status error";
    statusNode.setAttribute("role", "alert");
  }
}

load();
loadExperiments();
