"""The routes."""
from flask import jsonify, redirect, request, session

from webapp import auth, crm
from webapp.app import app


@app.route("/login")
def login():
    session["state"] = "s3cr3t-state"
    return redirect(auth.authorization_url(session["state"]))


@app.route("/oauth/callback")
def callback():
    tokens = auth.exchange_code(request.args["code"])
    session["token"] = tokens["access_token"]
    return redirect("/leads")


@app.route("/leads")
def leads():
    return jsonify(crm.recent_leads(session["token"]))


@app.route("/contacts/import", methods=["POST"])
def import_contacts():
    created = []
    for row in request.get_json()["rows"]:
        created.append(crm.create_contact(session["token"], row))
    return jsonify({"created": len(created)})


@app.get("/me")
def me():
    return jsonify(crm.current_user(session["token"]))
