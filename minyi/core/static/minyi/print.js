// The 打印 button on the printed 工单 (a script file: the CSP forbids inline handlers).
document.addEventListener("click", function (e) {
  if (e.target instanceof Element && e.target.matches("[data-print]")) window.print();
});
