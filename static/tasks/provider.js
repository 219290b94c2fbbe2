// The reward's unit follows the chosen provider: Prolific takes whole cents,
// the others dollars. The server says the same after every save; this only
// keeps the form honest while the user changes the provider.
(function () {
  const provider = document.getElementById("id_provider");
  if (!provider) return;
  const update = () => {
    const cents = provider.value === "prolific";
    document.querySelectorAll("[data-reward-unit]").forEach((unit) => {
      unit.textContent = cents ? unit.dataset.cents : unit.dataset.dollars;
    });
  };
  provider.addEventListener("change", update);
  update();
})();
