// Quiver's only script. Pages work without it; it adds "Copy" buttons beside
// copyable text (elements with class "copy"). Loaded from /_static (CSP: script-src 'self').
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const block of document.querySelectorAll(".copy")) {
    if (!navigator.clipboard) break;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy to the clipboard");
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(block.textContent.trim());
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
    block.after(button);
  }
});
