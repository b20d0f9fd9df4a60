// MovieRec page: plain JavaScript over the JSON API, no libraries. Views are chosen by the URL hash:
//   #/ (find and rate, with live recommendations), #/movie/<id>, #/user and #/user/<id>.
"use strict";

const RATINGS_KEY = "movierec.visitor.ratings";
const MODEL_KEY = "movierec.visitor.model";
const PROFILE_KEY = "movierec.profile.userId";
const HIDDEN_KEY = "movierec.hidden";
const PAGE_SIZE = 10;
const view = document.getElementById("view");
let modelsPromise = null;
let recPage = 0;
let recRequest = 0;

// ---- small helpers ---------------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = body && (body.detail || body.title) ? (body.detail || body.title) : `${response.status} ${response.statusText}`;
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return body;
}

function models() {
  if (!modelsPromise) modelsPromise = api("/models").catch(e => { modelsPromise = null; throw e; });
  return modelsPromise;
}

function loadRatings() {
  try {
    const parsed = JSON.parse(localStorage.getItem(RATINGS_KEY) || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function saveRatings(ratings) {
  localStorage.setItem(RATINGS_KEY, JSON.stringify(ratings));
}

// A profile is a user id kept in this browser; its ratings are stored by the service (POST /users/{id}/ratings).
function profileId() {
  const id = Number(localStorage.getItem(PROFILE_KEY));
  return Number.isInteger(id) && id > 0 ? id : null;
}

// Movies marked "not interested": never shown among the recommendations in this browser.
function hidden() {
  try {
    return new Set(JSON.parse(localStorage.getItem(HIDDEN_KEY) || "[]"));
  } catch {
    return new Set();
  }
}

function postJson(path, body) {
  return api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function movieMeta(movie) {
  const parts = [];
  if (movie.genres && movie.genres.length) parts.push(movie.genres.join(", "));
  if (movie.ratingCount !== undefined) {
    parts.push(movie.ratingCount > 0 ? `average ${movie.meanRating.toFixed(2)} from ${movie.ratingCount} ratings` : "no ratings yet");
  }
  return parts.join(" · ");
}

function status(text, isError) {
  return el("p", { class: isError ? "status error" : "status muted", role: isError ? "alert" : "status" }, text || "");
}

function setStatus(node, text, isError) {
  node.textContent = text || "";
  node.className = isError ? "status error" : "status muted";
  node.setAttribute("role", isError ? "alert" : "status");
}

// A star control: five radio buttons in a fieldset, usable with arrow keys; rating a movie stores it and refreshes
// the recommendations.
function stars(movie, onRated) {
  const ratings = loadRatings();
  const current = ratings[movie.movieId]?.rating || 0;
  const name = `stars-${movie.movieId}-${Math.random().toString(36).slice(2, 7)}`;
  const fieldset = el("fieldset", { class: "stars", "data-movie-id": movie.movieId },
    el("legend", {}, `Your rating for ${movie.title}`));
  for (let value = 5; value >= 1; value--) {
    const id = `${name}-${value}`;
    const input = el("input", { type: "radio", name, id, value, checked: current === value, "data-stars": value });
    input.addEventListener("change", async () => {
      const all = loadRatings();
      all[movie.movieId] = { rating: value, title: movie.title };
      saveRatings(all);
      const user = profileId();
      if (user) {
        try {
          await postJson(`/users/${user}/ratings`, { movieId: movie.movieId, rating: value });
        } catch (e) {
          fieldset.append(status(`Not saved to your profile: ${e.message}`, true));
        }
      }
      if (onRated) onRated();
    });
    fieldset.append(input, el("label", { for: id, title: `${value} star${value > 1 ? "s" : ""}` },
      "★", el("span", { class: "sr-only" }, `${value} star${value > 1 ? "s" : ""}`)));
  }
  return fieldset;
}

function movieItem(movie, { rank, score, why, rateable, onRated, onHide } = {}) {
  return el("li", { "data-movie-id": movie.movieId },
    el("span", { class: "head" },
      rank ? el("span", { class: "rank" }, `${rank}.`) : null,
      el("a", { class: "title", href: `#/movie/${movie.movieId}` }, movie.title)),
    rateable ? stars(movie, onRated) : null,
    score !== undefined ? el("span", { class: "score", title: "score" }, score.toFixed(3)) : null,
    el("span", { class: "meta" }, movieMeta(movie)),
    why ? el("span", { class: "why" }, why) : null,
    onHide ? el("button", { type: "button", class: "secondary hide", "aria-label": `Not interested in ${movie.title}`, onclick: () => onHide(movie) }, "Not interested") : null);
}

function explanation(item) {
  // Shown where the API offers one (explain=true).
  const because = item.because || item.explanations || item.explanation;
  if (!because) return null;
  if (typeof because === "string") return because;
  if (Array.isArray(because) && because.length) {
    return "Because you liked " + because.map(b => (typeof b === "string" ? b : b.title)).filter(Boolean).join(", ");
  }
  return null;
}

function setNav(name) {
  for (const a of document.querySelectorAll("header nav a[data-nav]")) {
    if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// ---- find and rate ---------------------------------------------------------------------------------------

function homeView(query) {
  setNav("home");
  document.title = "MovieRec: find and rate movies";
  const input = el("input", { type: "search", id: "search", name: "query", value: query || "", autocomplete: "off",
    placeholder: "e.g. the godfather, matrix 1999", "aria-describedby": "search-help" });
  const results = el("ol", { class: "movies", id: "results", "aria-label": "Search results" });
  const searchStatus = status("");
  searchStatus.id = "search-status";
  const form = el("form", { class: "search", role: "search", onsubmit: e => {
    e.preventDefault();
    const q = input.value.trim();
    history.replaceState(null, "", q ? `#/?q=${encodeURIComponent(q)}` : "#/");
    runSearch(q, results, searchStatus);
  } },
  el("div", { class: "field" }, el("label", { for: "search" }, "Find movies"), input),
  el("button", { type: "submit" }, "Search"));

  const recList = el("ol", { class: "movies", id: "recommendations", "aria-label": "Recommendations" });
  const recStatus = status("");
  recStatus.id = "rec-status";
  const recHeading = el("h2", { id: "rec-heading" }, "Recommendations for you");
  const modelSelect = el("select", { id: "model" });
  modelSelect.addEventListener("change", () => {
    localStorage.setItem(MODEL_KEY, modelSelect.value);
    recPage = 0;
    refreshRecommendations();
  });
  const prev = el("button", { type: "button", class: "secondary", id: "rec-prev", onclick: () => { recPage--; refreshRecommendations(); } }, "Previous");
  const next = el("button", { type: "button", class: "secondary", id: "rec-next", onclick: () => { recPage++; refreshRecommendations(); } }, "Next");
  const pageLabel = el("span", { class: "muted", id: "rec-page" });
  const mine = el("ul", { class: "movies", id: "my-ratings", "aria-label": "Your ratings" });
  const profileText = el("p", { id: "profile-status" });
  const profileButton = el("button", { type: "button", class: "secondary", id: "profile-toggle", onclick: async () => {
    if (profileId()) {
      localStorage.removeItem(PROFILE_KEY);
    } else {
      // A new live user: an id far above the dataset's, kept in this browser; the ratings given so far go with it.
      const id = 1000000 + Math.floor(Math.random() * 900000000);
      localStorage.setItem(PROFILE_KEY, String(id));
      for (const [movieId, r] of Object.entries(loadRatings())) {
        try { await postJson(`/users/${id}/ratings`, { movieId: Number(movieId), rating: r.rating }); } catch (e) { setStatus(recStatus, e.message, true); }
      }
    }
    recPage = 0;
    refreshRecommendations();
  } });

  async function hide(movie) {
    const set = hidden();
    set.add(movie.movieId);
    localStorage.setItem(HIDDEN_KEY, JSON.stringify([...set]));
    const user = profileId();
    if (user) {
      // Recorded with the profile's other feedback; the page hides the movie either way.
      postJson("/events", { userId: user, movieId: movie.movieId, type: "not-interested" }).catch(() => {});
    }
    refreshRecommendations();
  }

  view.replaceChildren(
    el("h1", {}, "Find movies, rate a few, get recommendations"),
    el("p", { class: "muted", id: "search-help" }, "Search by title; \"Title, The\" and small typos are fine. Rate movies with the stars: your ratings stay in this browser."),
    el("div", { class: "grid" },
      el("section", { class: "card", "aria-labelledby": "search-heading" },
        el("h2", { id: "search-heading" }, "Search"), form, searchStatus, results),
      el("div", {},
        el("section", { class: "card", "aria-labelledby": "rec-heading" },
          recHeading,
          el("div", { class: "field" }, el("label", { for: "model" }, "Model"), " ", modelSelect),
          recStatus, recList, el("div", { class: "pager" }, prev, pageLabel, next)),
        el("section", { class: "card", "aria-labelledby": "profile-heading" },
          el("h2", { id: "profile-heading" }, "Your profile"), profileText, profileButton),
        el("section", { class: "card", "aria-labelledby": "mine-heading" },
          el("h2", { id: "mine-heading" }, "Your ratings"), mine,
          el("button", { type: "button", class: "secondary", id: "clear-ratings", onclick: () => {
            saveRatings({}); recPage = 0; refreshRecommendations();
          } }, "Clear my ratings")))));

  models().then(m => {
    const saved = localStorage.getItem(MODEL_KEY);
    const names = m.models.map(x => x.name);
    for (const model of m.models) {
      modelSelect.append(el("option", { value: model.name }, model.supportsFoldIn ? model.name : `${model.name} (popularity for visitors)`));
    }
    modelSelect.value = names.includes(saved) ? saved : (names.includes(m.defaultModel) ? m.defaultModel : (names.includes("svd") ? "svd" : names[0]));
    refreshRecommendations();
  }).catch(e => setStatus(recStatus, `Models unavailable: ${e.message}`, true));

  async function refreshRecommendations() {
    const user = profileId();
    profileText.textContent = user
      ? `Profile: user ${user}, kept in this browser. Your ratings are stored by the service and your recommendations follow them.`
      : "No profile: your ratings stay in this browser only. Keep a profile to store them with the service.";
    profileButton.textContent = user ? "Forget this profile" : "Keep a profile";
    const request = ++recRequest;
    let entries = Object.entries(loadRatings()).map(([id, r]) => ({ movieId: Number(id), rating: r.rating, title: r.title }));
    // The local copy mirrors the profile's ratings, so a profile with none is not asked (that would be a 404).
    if (user && entries.length) {
      try {
        const stored = await api(`/users/${user}/ratings?pageSize=100`);
        entries = stored.ratings.map(r => ({ movieId: r.movieId, rating: r.rating, title: r.title || `movie ${r.movieId}` }));
      } catch (e) {
        if (e.status !== 404) setStatus(recStatus, e.message, true);
        entries = [];
      }
      if (request !== recRequest) return;
    }
    mine.replaceChildren(...(entries.length ? entries.map(r => el("li", { "data-movie-id": r.movieId },
      el("a", { href: `#/movie/${r.movieId}` }, r.title), el("span", { "aria-label": `${r.rating} stars` }, "★".repeat(Math.round(r.rating))),
      el("button", { type: "button", class: "secondary", "aria-label": `Remove your rating of ${r.title}`, onclick: async () => {
        const all = loadRatings(); delete all[r.movieId]; saveRatings(all);
        if (user) { try { await api(`/users/${user}/ratings/${r.movieId}`, { method: "DELETE" }); } catch (e) { setStatus(recStatus, e.message, true); } }
        refreshRecommendations();
      } }, "Remove"))) : [el("li", { class: "muted" }, "None yet.")]));
    recHeading.textContent = entries.length ? `Recommendations for you (from ${entries.length} rating${entries.length > 1 ? "s" : ""})` : "Popular movies (rate a few to personalise)";
    const skip = hidden();
    // Enough to fill the page after hiding what this browser marked "not interested", and one more to know whether a next page exists.
    const n = Math.min(100, (recPage + 1) * PAGE_SIZE + skip.size + 1);
    const model = modelSelect.value || null;
    try {
      const result = user && entries.length
        ? await api(`/recommend/user?userId=${user}&n=${n}&explain=true${model ? `&model=${encodeURIComponent(model)}` : ""}`)
        : await postJson("/recommend", { ratings: entries.map(r => ({ movieId: r.movieId, rating: r.rating })), n, model, explain: true });
      if (request !== recRequest) return;
      const shown = result.items.filter(item => !skip.has(item.movieId));
      const items = shown.slice(recPage * PAGE_SIZE, (recPage + 1) * PAGE_SIZE);
      recList.replaceChildren(...items.map((item, i) => movieItem(item, {
        rank: recPage * PAGE_SIZE + i + 1, score: item.score, why: explanation(item), rateable: true, onRated: refreshRecommendations, onHide: hide })));
      recList.dataset.version = String(request);
      setStatus(recStatus, result.fallbackReason ? `${result.answeredBy} answered: ${result.fallbackReason}` : `${result.answeredBy} (${result.method}), bundle ${result.bundleId}`);
      prev.disabled = recPage === 0;
      next.disabled = shown.length <= (recPage + 1) * PAGE_SIZE;
      pageLabel.textContent = `Page ${recPage + 1}`;
    } catch (e) {
      if (request === recRequest) setStatus(recStatus, e.message, true);
    }
  }

  if (query) runSearch(query, results, searchStatus);
  // Re-rendered results keep their stars in step with the stored ratings.
  window.refreshRecommendations = refreshRecommendations;
}

async function runSearch(query, results, searchStatus) {
  if (!query) {
    results.replaceChildren();
    searchStatus.textContent = "";
    return;
  }
  searchStatus.textContent = "Searching…";
  try {
    const page = await api(`/movies?query=${encodeURIComponent(query)}&pageSize=20`);
    results.replaceChildren(...page.items.map(m => movieItem(m, { rateable: true, onRated: () => window.refreshRecommendations?.() })));
    searchStatus.textContent = page.total === 0 ? `No movie matches "${query}".` : `${page.total} match${page.total === 1 ? "" : "es"} for "${query}", best first.`;
  } catch (e) {
    setStatus(searchStatus, e.message, true);
  }
}

// ---- movie page ------------------------------------------------------------------------------------------

async function movieView(id) {
  setNav("");
  view.replaceChildren(status("Loading…"));
  try {
    const [movie, m] = await Promise.all([api(`/movies/${id}`), models()]);
    document.title = `${movie.title}: MovieRec`;
    const links = [];
    if (movie.imdbId) links.push(el("a", { href: `https://www.imdb.com/title/tt${movie.imdbId}/`, rel: "noopener" }, "IMDb"));
    if (movie.tmdbId) links.push(el("a", { href: `https://www.themoviedb.org/movie/${movie.tmdbId}`, rel: "noopener" }, "TMDB"));
    const similar = el("div", { class: "columns", id: "similar" });
    view.replaceChildren(
      el("p", {}, el("a", { href: "#/" }, "← Find movies")),
      el("article", { class: "card", "aria-labelledby": "movie-title" },
        el("h1", { id: "movie-title" }, movie.title),
        el("dl", { class: "facts" },
          el("dt", {}, "Year"), el("dd", {}, movie.year ?? "unknown"),
          el("dt", {}, "Genres"), el("dd", {}, el("ul", { class: "tags" }, ...(movie.genres || []).map(g => el("li", {}, g)))),
          el("dt", {}, "Average rating"), el("dd", { id: "movie-average" }, movie.ratingCount > 0 ? `${movie.meanRating.toFixed(2)} from ${movie.ratingCount} ratings` : "no ratings yet"),
          el("dt", {}, "Elsewhere"), el("dd", {}, links.length ? links.flatMap((a, i) => (i ? [" · ", a] : [a])) : "no links")),
        el("h2", {}, "Your rating"), stars(movie, null)),
      el("section", { "aria-labelledby": "similar-heading" }, el("h2", { id: "similar-heading" }, "Similar movies"), similar));
    const capable = m.models.filter(x => x.supportsSimilar);
    if (!capable.length) similar.append(el("p", { class: "muted" }, "No model of this bundle has a notion of similar movies."));
    await Promise.all(capable.map(async model => {
      const column = el("section", { class: "card", "data-model": model.name }, el("h3", {}, `by ${model.name}`));
      similar.append(column);
      try {
        const result = await api(`/movies/${id}/similar?model=${encodeURIComponent(model.name)}&n=8`);
        column.append(el("ol", { class: "movies" }, ...result.items.map(item => movieItem(item, { rank: item.rank }))));
      } catch (e) {
        column.append(status(e.message, true));
      }
    }));
  } catch (e) {
    view.replaceChildren(el("h1", {}, "Movie not found"), status(e.message, true), el("p", {}, el("a", { href: "#/" }, "Find movies")));
  }
}

// ---- dataset users ---------------------------------------------------------------------------------------

async function userView(id) {
  setNav("user");
  document.title = id ? `User ${id}: MovieRec` : "Browse a dataset user: MovieRec";
  const input = el("input", { type: "number", id: "user-id", min: 1, step: 1, value: id || "", inputmode: "numeric" });
  const form = el("form", { class: "search", onsubmit: e => {
    e.preventDefault();
    if (input.value) location.hash = `#/user/${Number(input.value)}`;
  } }, el("div", { class: "field" }, el("label", { for: "user-id" }, "Dataset user id"), input), el("button", { type: "submit" }, "Show"));
  const body = el("div", {});
  view.replaceChildren(el("h1", {}, "Browse as a dataset user"),
    el("p", { class: "muted" }, "A user of the training data: what they rated, and what each model recommends to them."),
    el("div", { class: "card" }, form), body);
  if (!id) return;
  body.append(status("Loading…"));
  try {
    const [history, m] = await Promise.all([api(`/users/${id}/ratings`), models()]);
    const columns = el("div", { class: "columns", id: "user-recommendations" });
    const ratings = history.ratings || history.items || [];
    const list = el("ol", { class: "movies", id: "history" }, ...ratings.slice(0, 15).map(r =>
      movieItem({ movieId: r.movieId, title: r.title || `movie ${r.movieId}`, genres: r.genres }, { why: `rated ${r.rating}` })));
    body.replaceChildren(
      el("section", { "aria-labelledby": "recs-heading" }, el("h2", { id: "recs-heading" }, `Recommendations for user ${id}, by model`), columns),
      el("section", { class: "card", "aria-labelledby": "history-heading" },
        el("h2", { id: "history-heading" }, `History: ${history.count} ratings, mean ${Number(history.meanRating).toFixed(2)}`),
        ratings.length > 15 ? el("p", { class: "muted" }, "The 15 highest rated.") : null, list));
    await Promise.all(m.models.map(async model => {
      const column = el("section", { class: "card", "data-model": model.name }, el("h3", {}, model.name));
      columns.append(column);
      try {
        const result = await api(`/recommend/user?userId=${id}&model=${encodeURIComponent(model.name)}&n=10`);
        column.append(el("ol", { class: "movies" }, ...result.items.map(item => movieItem(item, { rank: item.rank, score: item.score, why: explanation(item) }))));
      } catch (e) {
        column.append(status(e.message, true));
      }
    }));
  } catch (e) {
    body.replaceChildren(status(e.message, true));
  }
}

// ---- routing ---------------------------------------------------------------------------------------------

function route() {
  const hash = location.hash || "#/";
  let match;
  if ((match = hash.match(/^#\/movie\/(\d+)/))) movieView(match[1]);
  else if ((match = hash.match(/^#\/user(?:\/(\d+))?/))) userView(match[1]);
  else {
    const q = new URLSearchParams(hash.split("?")[1] || "").get("q");
    homeView(q);
  }
}

window.addEventListener("hashchange", () => {
  route();
  document.getElementById("main").focus({ preventScroll: true });
});
route();
