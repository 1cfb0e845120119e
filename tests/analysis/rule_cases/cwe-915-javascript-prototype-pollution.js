let express = require('express');
let app = express();

app.put('/todos', (req, res) => {
    let todos = req.session.todos;
    let id = req.params.id;
    let task = req.params.task;
    let content = req.params.content;
    // ruleid: cwe-915-javascript-prototype-pollution
    todos[id][task] = content;
    res.end();
});

app.put('/todos2', (req, res) => {
    let todos = req.session.todos;
    let id = req.params.id;
    let task = req.params.task;
    if (id === '__proto__' || task === '__proto__' || id === 'constructor') {
        res.status(400).end();
        return;
    }
    // ok: cwe-915-javascript-prototype-pollution
    todos[id][task] = req.params.content;
    res.end();
});

function fill(grid, i, j) {
    // ok: cwe-915-javascript-prototype-pollution
    grid[i][j] = 0;
}
