// Progressive enhancement for the skills question: a text box above the checkboxes that keeps
// only the skills whose names contain what was typed, and says how many match. Without this
// script the page lists every skill, and every answer works the same either way: hidden
// checkboxes keep their ticks and are still sent with the form.

const ANNOUNCE_AFTER_MS = 400;

function normalise(text) {
  return text.toLocaleLowerCase("en-GB").replace(/\s+/g, " ").trim();
}

function element(tag, attributes, text = "") {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    made.setAttribute(name, value);
  }
  made.textContent = text;
  return made;
}

export class SkillsFilter {
  constructor(root) {
    this.root = root;
    this.items = Array.from(root.querySelectorAll(".govuk-checkboxes__item"), (item) => ({
      item,
      text: normalise(item.textContent),
    }));
    this.groups = Array.from(root.querySelectorAll(".app-skill-group"));
    this.timer = undefined;
    if (this.items.length) {
      this.build();
    }
  }

  build() {
    const group = element("div", { class: "govuk-form-group app-skills-filter" });
    group.append(
      element("label", { class: "govuk-label govuk-label--s", for: "skills-filter" }, "Filter skills"),
      element(
        "div",
        { class: "govuk-hint", id: "skills-filter-hint" },
        "Type part of a skill’s name to show only the skills that match",
      ),
    );
    this.input = element("input", {
      class: "govuk-input govuk-!-width-two-thirds",
      id: "skills-filter",
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": "skills-filter-hint",
    });
    // A polite live region: screen readers hear the count once typing pauses, not per key.
    this.status = element("p", {
      class: "govuk-body govuk-!-margin-top-2 govuk-!-margin-bottom-0",
      id: "skills-filter-status",
      role: "status",
      "aria-live": "polite",
    });
    group.append(this.input, this.status);
    this.root.parentNode.insertBefore(group, this.root);
    this.input.addEventListener("input", () => this.filter());
    // Enter in the filter must not submit the whole form half answered.
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }

  filter() {
    const query = normalise(this.input.value);
    let shown = 0;
    for (const { item, text } of this.items) {
      const match = text.includes(query);
      item.hidden = !match;
      shown += match ? 1 : 0;
    }
    for (const group of this.groups) {
      group.hidden = !group.querySelector(".govuk-checkboxes__item:not([hidden])");
    }
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.announce(query, shown), ANNOUNCE_AFTER_MS);
  }

  announce(query, shown) {
    if (!query) {
      this.status.textContent = "";
    } else if (shown === 0) {
      this.status.textContent = "No skills match";
    } else {
      this.status.textContent = shown === 1 ? "1 skill matches" : `${shown} skills match`;
    }
  }
}

for (const root of document.querySelectorAll('[data-module="app-skills-filter"]')) {
  new SkillsFilter(root);
}
