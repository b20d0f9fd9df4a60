// MovieRec dashboard: the bundle, its models and the charts the service draws (PNG, with SVG links).
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

load();
