// Progressive enhancement only: every page works before and without this script.
import { initAll } from "/static/govuk-frontend/govuk-frontend.min.js";

initAll();
