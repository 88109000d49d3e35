// Cockpit charts; data comes from the page (json_script), nothing is fetched from elsewhere.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cockpit-data").textContent);
  var fmt = function (unit) {
    return function (value) { return value === null || value === undefined ? "—" : value.toLocaleString("zh-CN") + " " + unit; };
  };
  var charts = [];
  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var instance = echarts.init(element);
    instance.setOption(option);
    charts.push(instance);
  }
  var trend = data.trend;
  chart("chart-trend", {
    title: { text: "全市工业总产值与税收（亿元）", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: fmt("亿元") },
    legend: { bottom: 0 },
    grid: { left: 60, right: 60, top: 50, bottom: 50 },
    xAxis: { type: "category", data: trend.years, name: "年" },
    yAxis: [
      { type: "value", name: "工业总产值（亿元）" },
      { type: "value", name: "税收（亿元）", splitLine: { show: false } }
    ],
    series: [
      { name: "工业总产值", type: "bar", data: trend.output_yi },
      { name: "税收", type: "line", yAxisIndex: 1, data: trend.tax_yi }
    ]
  });
  chart("chart-per-mu", {
    title: { text: "全市亩均税收与亩均增加值（万元/亩）", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: fmt("万元/亩") },
    legend: { bottom: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 50 },
    xAxis: { type: "category", data: trend.years, name: "年" },
    yAxis: { type: "value", name: "万元/亩" },
    series: [
      { name: "亩均税收", type: "line", data: trend.tax_per_mu },
      { name: "亩均增加值", type: "line", data: trend.value_added_per_mu }
    ]
  });
  var bars = data.bars;
  function goalLine(value, label) {
    return value === null ? undefined : {
      symbol: "none", silent: true,
      label: { formatter: label + " " + value + " 万元/亩", position: "insideEndTop" },
      data: [{ yAxis: value }]
    };
  }
  chart("chart-platforms", {
    title: { text: data.year + "年各平台亩均效益（万元/亩）", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: fmt("万元/亩") },
    legend: { top: 26 },
    grid: { left: 20, right: 30, top: 70, bottom: 10, containLabel: true },
    xAxis: { type: "category", data: bars.names, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", name: "万元/亩" },
    series: [
      { name: "亩均税收", type: "bar", data: bars.tax_per_mu, markLine: goalLine(bars.tax_goal, "亩均税收2025年目标") },
      { name: "亩均增加值", type: "bar", data: bars.value_added_per_mu, markLine: goalLine(bars.value_added_goal, "亩均增加值2025年目标") }
    ]
  });
  var classes = data.classes;
  if (classes) {
    chart("chart-classes", {
      title: { text: "各平台企业亩均效益评价类别（家）", left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: fmt("家") },
      // Legend under the title and the grid sized to hold the rotated platform names, so the
      // axis labels never run into the legend.
      legend: { top: 26 },
      grid: { left: 20, right: 30, top: 70, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: classes.platforms, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: "家" },
      series: classes.classes.map(function (k, i) {
        return { name: k + "类", type: "bar", stack: "classes", data: classes.counts[i], itemStyle: { color: classes.colours[i] } };
      })
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
