def profile_card(username, bio):
    template = "<div class='card'><h3>{}</h3><p>{}</p></div>"
    return template.format(username, bio)
