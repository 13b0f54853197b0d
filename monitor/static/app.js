// The one script: "select all" for the queue's checkboxes. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll('input[name="case_id"]')) box.checked = all.checked;
  });
});
